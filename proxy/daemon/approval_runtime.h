// ApprovalRuntime: the approval hold of a running daemon (docs/approval.md).
// It owns the ApprovalService and what the service needs — the <approval>
// config, the TLS client context of the relay listener's upstream, the
// approval log — and records each finished hold in its archived report.
//
// Ownership: `mailtee run` creates it (when <approval enabled="true">) before
// the Daemon and destroys it after the Daemon, so the service (the SMTP
// sessions' HoldGate) outlives every session. Start() before the listeners
// open (resumes unfinished holds), Stop() when draining (no more sweeps;
// relays in flight finish on their own and keep the loop alive until then).
#pragma once

#include <memory>
#include <string>

#include <openssl/ssl.h>  // bssl::UniquePtr<SSL_CTX> needs the deleter

#include "archive/index_sink.h"
#include "archive/log_book.h"
#include "archive/report_outcome.h"
#include "config/config.h"
#include "config/status.h"
#include "proxy/approval/approval_config.h"
#include "proxy/approval/approval_log.h"
#include "proxy/approval/approval_service.h"

typedef struct uv_loop_s uv_loop_t;

namespace mailtee::daemon {

struct ApprovalRuntimeOptions {
  uv_loop_t* loop = nullptr;
  const config::Config* config = nullptr;       // listeners, storage dir, log retention; must outlive
  approval::ApprovalConfig approval;             // enabled; validated (LoadFullConfig)
  archive::IndexingSink* index = nullptr;        // told about rewritten reports; may be null; must outlive
  archive::LogBook* log = nullptr;               // report-update failures; must outlive
  bool echo_approval_log = true;                 // foreground daemon: approval lines also on stderr
  uint64_t sweep_interval_ms = 60 * 1000;
};

class ApprovalRuntime {
 public:
  static Status Create(ApprovalRuntimeOptions options, std::unique_ptr<ApprovalRuntime>* out);
  ~ApprovalRuntime();

  void Start();
  void Stop();
  // Daily, beside LogBook::Prune: the approval log's retention.
  void PruneLog() { approval_log_->Prune(); }

  approval::ApprovalService* service() { return service_.get(); }
  approval::ApprovalLog* approval_log() { return approval_log_.get(); }
  const approval::ApprovalConfig& config() const { return options_.approval; }

 private:
  explicit ApprovalRuntime(ApprovalRuntimeOptions options) : options_(std::move(options)) {}
  // ServiceOptions::on_final: rewrites the report on a worker thread (fsyncs).
  void RecordFinal(const approval::HeldMessage& held);
  void QueueRewrite(const approval::HeldMessage& held, archive::HeldOutcome outcome);
  // At Start: reports of holds that ended within kRepairWindowSeconds but
  // still say "held" (crash between the end and the rewrite) are rewritten.
  void RepairReports();
  static constexpr int64_t kRepairWindowSeconds = 30 * 24 * 3600;

  ApprovalRuntimeOptions options_;   // the service points into options_.approval: declared first
  bssl::UniquePtr<SSL_CTX> relay_tls_;
  std::unique_ptr<approval::ApprovalLog> approval_log_;
  std::unique_ptr<approval::ApprovalService> service_;
};

}  // namespace mailtee::daemon
