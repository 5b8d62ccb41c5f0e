// DaemonAdmin: the admin console wired to a running Daemon, so `mailtee run`
// needs only a few lines. It loads the same server certificate as the
// listeners (the configured one, or the self-signed one in the storage dir),
// adapts the Daemon and the search index to the admin interfaces, fills the
// settings' storage-derived defaults, and owns the AdminServer.
//
//   admin::AdminSettings admin_settings;            // later: from <admin .../>
//   std::unique_ptr<admin::DaemonAdmin> console;
//   s = admin::DaemonAdmin::Start(loop, config, &daemon, index.get(), &log,
//                                 MAILTEE_VERSION, admin_settings, &console);
//   ...  on SIGTERM: console->Stop(nullptr) next to daemon.Stop(...)
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "admin/admin_server.h"
#include "admin/archive_size_probe.h"
#include "admin/metrics.h"
#include "admin/proxy_log_metrics.h"
#include "archive/index_sink.h"

namespace mailtee::admin {

class DaemonAdmin {
 public:
  // settings: users_file, socket_path, storage_dir and cert_file left empty
  // are filled from config (<storage>/admin-users.xml, <storage>/admin.sock).
  // index may be null (archive endpoints then answer 503).
  // request_reload: what POST /api/config/reload calls once the config file on
  // disk validates (`mailtee run`: drain, then exec itself); empty: 503.
  static Status Start(uv_loop_t* loop, const config::Config& config, const daemon::Daemon* daemon,
                      archive::IndexingSink* index, archive::LogBook* log, const std::string& version,
                      AdminSettings settings, std::unique_ptr<DaemonAdmin>* out,
                      std::function<void()> request_reload = {});
  ~DaemonAdmin();

  void Stop(std::function<void()> done) {
    if (archive_size_) archive_size_->Stop();
    server_->Stop(std::move(done));
  }
  // Counters for the proxies (/metrics).
  Metrics* metrics() { return &metrics_; }
  AdminServer* server() { return server_.get(); }
  // The approval hold, when <approval enabled="true">: turns on the approval
  // link page (/approval/<token>) and /api/approvals. log: the service's
  // ApprovalLog, so admin decisions land in the same approval log (may be null);
  // its events are counted in /metrics. log must outlive this DaemonAdmin.
  void AttachApprovals(approval::ApprovalService* service, approval::ApprovalLog* log = nullptr);

 private:
  DaemonAdmin() = default;
  config::Config config_;
  std::unique_ptr<StatusSource> status_;
  std::unique_ptr<ArchiveQuery> archive_;
  Metrics metrics_;
  // /metrics counters from the proxies' log lines (observer on log_).
  std::unique_ptr<ProxyLogMetrics> proxy_counts_;
  archive::LogBook* log_ = nullptr;
  int log_observer_ = 0;
  approval::ApprovalLog* approval_log_ = nullptr;   // observed by proxy_counts_
  int approval_observer_ = 0;
  std::unique_ptr<ArchiveSizeProbe> archive_size_;
  SSL_CTX* tls_ = nullptr;
  std::unique_ptr<AdminServer> server_;
};

}  // namespace mailtee::admin
