#include "admin/metrics.h"

#include <cctype>

namespace mailtee::admin {
namespace {

std::string SanitizeName(const std::string& name, bool allow_colon) {
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    unsigned char c = name[i];
    bool ok = std::isalpha(c) || c == '_' || (allow_colon && c == ':') || (i > 0 && std::isdigit(c));
    out.push_back(ok ? static_cast<char>(c) : '_');
  }
  return out.empty() ? "_" : out;
}

std::string EscapeLabelValue(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}

std::string EscapeHelp(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}

}  // namespace

std::string SanitizeMetricName(const std::string& name) { return SanitizeName(name, true); }

std::string RenderLabels(const MetricLabels& labels) {
  if (labels.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) out += ",";
    out += SanitizeName(labels[i].first, false) + "=\"" + EscapeLabelValue(labels[i].second) + "\"";
  }
  return out + "}";
}

Counter* Metrics::GetCounter(const std::string& name, const std::string& help, const MetricLabels& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  Family& family = families_[SanitizeMetricName(name)];
  if (family.help.empty()) family.help = help;
  std::unique_ptr<Counter>& counter = family.series[RenderLabels(labels)];
  if (!counter) counter = std::make_unique<Counter>();
  return counter.get();
}

GaugeValue* Metrics::GetGauge(const std::string& name, const std::string& help, const MetricLabels& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  GaugeFamily& family = gauges_[SanitizeMetricName(name)];
  if (family.help.empty()) family.help = help;
  std::unique_ptr<GaugeValue>& gauge = family.series[RenderLabels(labels)];
  if (!gauge) gauge = std::make_unique<GaugeValue>();
  return gauge.get();
}

std::string Metrics::RenderPrometheus() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  for (const auto& [name, family] : families_) {
    out += "# HELP " + name + " " + EscapeHelp(family.help) + "\n";
    out += "# TYPE " + name + " counter\n";
    for (const auto& [labels, counter] : family.series) {
      out += name + labels + " " + std::to_string(counter->value()) + "\n";
    }
  }
  for (const auto& [name, family] : gauges_) {
    out += "# HELP " + name + " " + EscapeHelp(family.help) + "\n";
    out += "# TYPE " + name + " gauge\n";
    for (const auto& [labels, gauge] : family.series) {
      out += name + labels + " " + std::to_string(gauge->value()) + "\n";
    }
  }
  return out;
}

}  // namespace mailtee::admin
