#include "proxy/daemon/approval_runtime.h"

#include <openssl/ssl.h>
#include <unistd.h>
#include <uv.h>

#include <chrono>
#include <utility>

#include "archive/env.h"
#include "archive/report_outcome.h"
#include "certs/tls_context.h"
#include "proxy/approval/relay_target.h"
#include "proxy/daemon/held_outcome.h"

namespace mailtee::daemon {
namespace {

// One report rewrite, on a libuv worker (it fsyncs). Holds copies only; the
// index and log book outlive the loop run (owned by `mailtee run`).
struct FinalJob {
  uv_work_t req{};
  std::string storage_dir, user, id;
  archive::HeldOutcome outcome;
  archive::IndexingSink* index = nullptr;
  archive::LogBook* log = nullptr;
  Status result;
};

void RunFinalJob(uv_work_t* req) {
  auto* job = static_cast<FinalJob*>(req->data);
  job->result = archive::RewriteHeldOutcome(archive::Env::Default(), job->storage_dir, job->user, job->id,
                                            job->outcome, job->index);
}

void AfterFinalJob(uv_work_t* req, int) {
  std::unique_ptr<FinalJob> job(static_cast<FinalJob*>(req->data));
  if (job->log == nullptr) return;
  if (job->result.ok()) {
    job->log->Write(archive::LogKind::kSystem,
                    "approval: report of " + job->id + " updated: outcome " + job->outcome.outcome);
  } else {
    job->log->Write(archive::LogKind::kSystem, "WARNING: approval: " + job->result.ToString());
  }
}

std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "mailtee.local";
  return name;
}

}  // namespace

Status ApprovalRuntime::Create(ApprovalRuntimeOptions options, std::unique_ptr<ApprovalRuntime>* out) {
  std::unique_ptr<ApprovalRuntime> rt(new ApprovalRuntime(std::move(options)));
  const ApprovalRuntimeOptions& o = rt->options_;
  const config::Listener* relay = approval::RelayListener(o.approval, o.config->listeners);
  if (relay == nullptr || !relay->upstream) {
    return Status::Error("approval: no SMTP listener with an <upstream> to relay approved mail through");
  }
  if (relay->upstream->tls != config::TlsMode::kNone) {
    Status s = certs::MakeClientContext(relay->upstream->verify, relay->upstream->ca_file, &rt->relay_tls_);
    if (!s.ok()) return s.WithContext("while preparing TLS for approved mail via listener '" + relay->name + "'");
  }
  approval::RelayTarget target;
  Status s = approval::MakeRelayTarget(*relay, rt->relay_tls_.get(), HostName(), &target);
  if (!s.ok()) return s.WithContext("approval");

  rt->approval_log_ = std::make_unique<approval::ApprovalLog>(o.config->storage_dir + "/logs",
                                                              o.config->logs.retention_days, o.echo_approval_log);
  s = rt->approval_log_->Open();
  if (!s.ok()) return s.WithContext("while opening the approval log");

  approval::ServiceOptions so;
  so.loop = o.loop;
  so.config = &rt->options_.approval;
  so.storage_dir = o.config->storage_dir;
  so.relay = target;
  so.log = rt->approval_log_.get();
  so.sweep_interval_ms = o.sweep_interval_ms;
  ApprovalRuntime* self = rt.get();
  so.on_final = [self](const approval::HeldMessage& held) { self->RecordFinal(held); };
  s = approval::ApprovalService::Create(std::move(so), &rt->service_);
  if (!s.ok()) return s.WithContext("while starting the approval service");
  *out = std::move(rt);
  return Status::Ok();
}

ApprovalRuntime::~ApprovalRuntime() {
  if (service_) service_->Stop();
}

void ApprovalRuntime::Start() {
  RepairReports();
  service_->Start();
}

void ApprovalRuntime::RepairReports() {
  // Holds whose end was announced (outcome_notified) but whose report may have
  // missed the rewrite: the daemon died in the few milliseconds between the
  // two. Holds not yet announced get on_final from the service's first sweep.
  std::vector<approval::HeldMessage> holds;
  if (!service_->queue()->List(&holds).ok()) return;
  const int64_t since = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count() - kRepairWindowSeconds;
  for (const approval::HeldMessage& h : holds) {
    const bool final = h.state != approval::HoldState::kPending && h.state != approval::HoldState::kApproved;
    if (!final || !h.outcome_notified || h.held_at < since) continue;
    archive::HeldOutcome outcome = HeldOutcomeOf(h, std::chrono::system_clock::now());
    outcome.relayed_at.clear();   // the relay time was not recorded; "now" would be wrong
    outcome.only_if_still_held = true;
    QueueRewrite(h, std::move(outcome));
  }
}

void ApprovalRuntime::Stop() { service_->Stop(); }

void ApprovalRuntime::RecordFinal(const approval::HeldMessage& held) {
  QueueRewrite(held, HeldOutcomeOf(held, std::chrono::system_clock::now()));
}

void ApprovalRuntime::QueueRewrite(const approval::HeldMessage& held, archive::HeldOutcome outcome) {
  auto job = std::make_unique<FinalJob>();
  job->storage_dir = options_.config->storage_dir;
  job->user = held.user;
  job->id = held.id;
  job->outcome = std::move(outcome);
  job->index = options_.index;
  job->log = options_.log;
  job->req.data = job.get();
  const int rc = uv_queue_work(options_.loop, &job->req, RunFinalJob, AfterFinalJob);
  if (rc == 0) {
    job.release();  // AfterFinalJob frees it
  } else if (options_.log != nullptr) {
    options_.log->Write(archive::LogKind::kSystem, "WARNING: approval: report of " + held.id +
                                                       " not updated (" + uv_strerror(rc) + ")");
  }
}

}  // namespace mailtee::daemon
