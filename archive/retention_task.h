// RetentionTask: purges what <retention> says is due, once a day, on its own
// thread (file deletes, fsyncs and a full index scan never run on the event
// loop). Every purge goes through IndexingSink::Purge, so it is a "purge"
// entry in the ledger. `mailtee archive purge` runs the same RunOnce by hand.
//
// The daemon (admin/cli/run_command.cc), after IndexingSink::CatchUp:
//   archive::RetentionTask retention(index.get(), archive::PolicyFromConfig(config.retention), &log);
//   retention.StartDaily();          // first run after a minute, then every 24 h
//   ... on shutdown the destructor (or Stop()) wakes and joins the thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "archive/index_sink.h"
#include "archive/log_book.h"
#include "archive/retention.h"
#include "config/config.h"

namespace mailtee::archive {

// <retention>/<legal-hold> as a policy (user names lowercased).
RetentionPolicy PolicyFromConfig(const config::RetentionSettings& settings);

struct PurgeRun {
  std::vector<IndexRecord> due;      // oldest first; with dry_run nothing was deleted
  uint64_t purged = 0;
  std::vector<std::string> errors;   // one per message that could not be purged (the rest go on)
};

// Blocking: plans with PlanPurge and purges each due message (unless dry_run).
Status RunRetention(IndexingSink* sink, const RetentionPolicy& policy, int64_t now_ms, bool dry_run, PurgeRun* run);

class RetentionTask {
 public:
  // log may be null. sink must outlive the task.
  RetentionTask(IndexingSink* sink, RetentionPolicy policy, LogBook* log);
  ~RetentionTask();  // Stop()

  // One pass; blocking; one at a time (a second caller waits). Logs a summary
  // line (and each error) to the system log when anything was due.
  Status RunOnce(int64_t now_ms, PurgeRun* run = nullptr);

  // Runs RunOnce on a worker thread after first_delay_ms, then every period_ms.
  // A policy that purges nothing (no days configured) starts no thread.
  void StartDaily(int64_t first_delay_ms = 60'000, int64_t period_ms = 86'400'000);
  void Stop();
  uint64_t runs() const;  // completed RunOnce calls (tests)

 private:
  void Loop(int64_t first_delay_ms, int64_t period_ms);

  IndexingSink* sink_;
  const RetentionPolicy policy_;
  LogBook* log_;
  std::mutex run_mu_;                 // serialises RunOnce
  mutable std::mutex mu_;             // guards stop_, runs_
  std::condition_variable wake_;
  bool stop_ = false;
  uint64_t runs_ = 0;
  std::thread thread_;
};

}  // namespace mailtee::archive
