// Metrics: a small registry of named counters that any part of the daemon can
// increment (thread-safe, lock-free on the hot path), rendered by /metrics in
// the Prometheus text format next to the gauges the admin server computes
// (sessions per listener, uptime).
//
//   admin::Metrics metrics;
//   admin::Counter* relayed = metrics.GetCounter("mailtee_smtp_relayed_total",
//       "Messages relayed upstream", {{"listener", "submission"}});
//   relayed->Increment();
//
// Get the Counter* once (e.g. when a proxy starts) and keep it: pointers stay
// valid for the registry's lifetime.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace mailtee::admin {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void Increment(uint64_t delta = 1) { value_.fetch_add(delta, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// A value that goes up and down (archive size, ...), set by its owner.
class GaugeValue {
 public:
  void Set(int64_t value) { value_.store(value, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

class Metrics {
 public:
  // Same name + labels returns the same counter. The name must match
  // [a-zA-Z_:][a-zA-Z0-9_:]* and label names [a-zA-Z_][a-zA-Z0-9_]*; an
  // invalid one is replaced by a valid spelling (never a crash).
  Counter* GetCounter(const std::string& name, const std::string& help, const MetricLabels& labels = {});

  // Same rules for gauges; a series appears in /metrics once it is created.
  GaugeValue* GetGauge(const std::string& name, const std::string& help, const MetricLabels& labels = {});

  // "# HELP name help\n# TYPE name counter\nname{l="v"} 3\n" for every counter,
  // then the same with "gauge" for every gauge.
  std::string RenderPrometheus() const;

 private:
  struct Family {
    std::string help;
    std::map<std::string, std::unique_ptr<Counter>> series;  // rendered label set -> counter
  };
  struct GaugeFamily {
    std::string help;
    std::map<std::string, std::unique_ptr<GaugeValue>> series;
  };
  mutable std::mutex mu_;
  std::map<std::string, Family> families_;
  std::map<std::string, GaugeFamily> gauges_;
};

// Helpers for the Prometheus text format (also used for gauges).
std::string SanitizeMetricName(const std::string& name);
std::string RenderLabels(const MetricLabels& labels);  // "" or {a="x",b="y\"z"}

}  // namespace mailtee::admin
