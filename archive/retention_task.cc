#include "archive/retention_task.h"

#include <chrono>

#include "archive/index_keys.h"

namespace mailtee::archive {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

RetentionPolicy PolicyFromConfig(const config::RetentionSettings& settings) {
  RetentionPolicy policy;
  policy.default_days = settings.default_days;
  for (const auto& u : settings.users) policy.user_days[index_keys::Lower(u.user)] = u.days;
  for (const auto& u : settings.legal_hold_users) policy.legal_hold_users.insert(index_keys::Lower(u));
  return policy;
}

Status RunRetention(IndexingSink* sink, const RetentionPolicy& policy, int64_t now_ms, bool dry_run, PurgeRun* run) {
  *run = PurgeRun();
  Status s = PlanPurge(sink->index(), policy, now_ms, &run->due);
  if (!s.ok()) return s.WithContext("while planning the retention purge");
  if (dry_run) return Status::Ok();
  for (const IndexRecord& r : run->due) {
    s = sink->Purge(r);
    if (s.ok()) ++run->purged;
    else run->errors.push_back(s.message());
  }
  return Status::Ok();
}

RetentionTask::RetentionTask(IndexingSink* sink, RetentionPolicy policy, LogBook* log)
    : sink_(sink), policy_(std::move(policy)), log_(log) {}

RetentionTask::~RetentionTask() { Stop(); }

Status RetentionTask::RunOnce(int64_t now_ms, PurgeRun* out) {
  std::lock_guard<std::mutex> lock(run_mu_);
  PurgeRun local;
  PurgeRun* run = out ? out : &local;
  Status s = RunRetention(sink_, policy_, now_ms, /*dry_run=*/false, run);
  if (log_) {
    if (!s.ok()) {
      log_->Write(LogKind::kSystem, "retention: " + s.ToString());
    } else if (!run->due.empty()) {
      log_->Write(LogKind::kSystem, "retention: purged " + std::to_string(run->purged) + " of " +
                                        std::to_string(run->due.size()) + " due message(s), oldest received " +
                                        run->due.front().received_at + " (ledger has one purge entry each)");
      for (const std::string& e : run->errors) log_->Write(LogKind::kSystem, "retention: " + e);
    }
  }
  std::lock_guard<std::mutex> count(mu_);
  ++runs_;
  return s;
}

void RetentionTask::StartDaily(int64_t first_delay_ms, int64_t period_ms) {
  if (thread_.joinable() || (policy_.default_days <= 0 && policy_.user_days.empty())) return;
  thread_ = std::thread([this, first_delay_ms, period_ms] { Loop(first_delay_ms, period_ms); });
}

void RetentionTask::Loop(int64_t first_delay_ms, int64_t period_ms) {
  int64_t delay = first_delay_ms;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (wake_.wait_for(lock, std::chrono::milliseconds(delay), [this] { return stop_; })) return;
    }
    RunOnce(NowMs());
    delay = period_ms;
  }
}

void RetentionTask::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

uint64_t RetentionTask::runs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return runs_;
}

}  // namespace mailtee::archive
