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

  // The line without timestamp, exposed for tests.
  static std::string Format(const ApprovalEvent& event);

 private:
  const std::string dir_;
  const int retention_days_;
  const bool echo_;
  Clock clock_;
  std::mutex mu_;
  bool reported_failure_ = false;
};

}  // namespace mailtee::approval
