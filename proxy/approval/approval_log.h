// The approval log admins grep: <storage>/logs/approval/YYYYMMDD.log (local
// date), one line per event, appended and fsync'd (decisions are rare and must
// not be lost). Thread-safe. A separate writer rather than an archive::LogKind
// because log_book.h is another layer's contract; same folder layout and
// timestamp format, pruned by the same retention.
//
//   2026-11-24T17:30:02.114+09:00 approve id=20261124-ab by=bucho@company.example ip=192.0.2.7 via=web
//       from=taro@company.example to=a@customer.example subject="お見積り"
// (one line; shown wrapped). Events: held, approve, reject, withdraw, expire,
// escalate, release, relayed, relay-failed, refused (bad/forged/replayed token
// or unauthorised command, with reason=), delegate, undelegate, notice-failed.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "config/status.h"

namespace mailtee::approval {

struct ApprovalEvent {
  std::string event;
  std::string held_id;
  std::string actor;         // approver / sender / "mailtee"
  std::string on_behalf_of;
  std::string client_ip;
  std::string via;           // web | mail | cli | timer | smtp
  std::string sender;
  std::vector<std::string> recipients;
  std::string subject;
  std::string reason;
  // Not written to the line: for observers (the listener that held the
  // message, so /metrics can count its release as relayed there).
  std::string listener;
};

class ApprovalLog {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  // logs_dir: <storage>/logs. echo_to_stderr: also print each line.
  ApprovalLog(std::string logs_dir, int retention_days, bool echo_to_stderr, Clock clock = nullptr);
  Status Open();
  // Never fails the caller: a write error is reported once to stderr and returned.
  Status Write(const ApprovalEvent& event);
  void Prune();
  std::string PathFor(std::chrono::system_clock::time_point t) const;

  // Observers see every event after its line is written (or failed to be),
  // on the writing thread, like archive::LogBook's: the admin console counts
  // approval events for /metrics from them, so proxy/approval needs no
  // dependency on admin/. An observer must be quick and thread-safe and must
  // not call Write (it runs under the observer lock).
  using Observer = std::function<void(const ApprovalEvent& event)>;
  // Returns an id for RemoveObserver (call it before the observer's objects die).
  int AddObserver(Observer observer);
  void RemoveObserver(int id);

  // The line without timestamp, exposed for tests.
  static std::string Format(const ApprovalEvent& event);

 private:
  const std::string dir_;
  const int retention_days_;
  const bool echo_;
  Clock clock_;
  std::mutex mu_;
  bool reported_failure_ = false;
  std::mutex observers_mu_;
  std::map<int, Observer> observers_;
  int next_observer_ = 1;
};

}  // namespace mailtee::approval
