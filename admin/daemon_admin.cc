#include "admin/daemon_admin.h"

#include "admin/index_archive_query.h"
#include "admin/local_client.h"
#include "certs/tls_context.h"

namespace mailtee::admin {
namespace {
// Walking the archive costs a stat per file: every 5 minutes is fresh enough for a size gauge.
constexpr uint64_t kArchiveSizeIntervalMs = 5 * 60 * 1000;
}  // namespace

Status DaemonAdmin::Start(uv_loop_t* loop, const config::Config& config, const daemon::Daemon* daemon,
                          archive::IndexingSink* index, archive::LogBook* log, const std::string& version,
                          AdminSettings settings, std::unique_ptr<DaemonAdmin>* out,
                          std::function<void()> request_reload) {
  std::unique_ptr<DaemonAdmin> admin(new DaemonAdmin);
  admin->config_ = config;
  if (settings.storage_dir.empty()) settings.storage_dir = config.storage_dir;
  if (settings.users_file.empty()) settings.users_file = config.storage_dir + "/admin-users.xml";
  if (settings.socket_path.empty()) settings.socket_path = AdminSocketPath(config.storage_dir);
  if (settings.sessions_file.empty()) settings.sessions_file = config.storage_dir + "/admin-sessions";
  if (settings.version.empty()) settings.version = version;
  // Scrapers: the loader fills metrics_allow (loopback unless configured;
  // metrics-allow="" admits no address); a token file that is unsafe or
  // unreadable only disables token access.
  if (config.admin) {
    settings.metrics_allow = config.admin->metrics_allow;
    if (!config.admin->metrics_token_file.empty()) {
      Status token = LoadMetricsToken(config.admin->metrics_token_file, &settings.metrics_token);
      if (!token.ok() && log) {
        log->Write(archive::LogKind::kSystem, "WARNING: /metrics bearer token disabled: " + token.ToString());
      }
    }
  }

  std::string cert = config.tls ? config.tls->cert : "", key = config.tls ? config.tls->key : "";
  if (!config.tls) {
    // The same names as the listeners' (Daemon::Start made or renewed it first).
    Status s = certs::EnsureSelfSignedCertificate(config.storage_dir, certs::SelfSignedNamesFor(config), &cert, &key,
                                                  nullptr);
    if (!s.ok()) return s.WithContext("(admin console certificate)");
  }
  if (settings.cert_file.empty()) settings.cert_file = cert;
  if (settings.https_enabled) {
    bssl::UniquePtr<SSL_CTX> ctx;
    Status s = certs::MakeServerContext(cert, key, &ctx);
    if (!s.ok()) return s.WithContext("(admin console certificate)");
    admin->tls_ = ctx.release();
  }

  // /metrics: proxy counters from the log, archive size from a periodic walk.
  if (log) {
    admin->log_ = log;
    admin->proxy_counts_ = std::make_unique<ProxyLogMetrics>(&admin->metrics_);
    ProxyLogMetrics* counts = admin->proxy_counts_.get();
    admin->log_observer_ =
        log->AddObserver([counts](archive::LogKind kind, std::string_view line, const archive::SessionEvent* event) {
          counts->Observe(kind, line, event);
        });
  }
  admin->archive_size_ = std::make_unique<ArchiveSizeProbe>(loop, config.storage_dir + "/archive", &admin->metrics_,
                                                            kArchiveSizeIntervalMs);
  admin->archive_size_->Start();

  admin->status_ = std::make_unique<DaemonStatusSource>(daemon);
  if (index) admin->archive_ = std::make_unique<IndexArchiveQuery>(index->index(), index->storage_dir());
  AdminServices services;
  services.status = admin->status_.get();
  services.archive = admin->archive_.get();
  services.log = log;
  services.config = &admin->config_;
  services.metrics = &admin->metrics_;
  services.request_reload = std::move(request_reload);
  admin->server_ = std::make_unique<AdminServer>(loop, settings, admin->tls_, services);
  Status s = admin->server_->Start();
  if (!s.ok()) return s;
  *out = std::move(admin);
  return Status::Ok();
}

void DaemonAdmin::AttachApprovals(approval::ApprovalService* service, approval::ApprovalLog* log) {
  server_->AttachApprovals(service, log);
  if (!log || approval_log_) return;
  if (!proxy_counts_) proxy_counts_ = std::make_unique<ProxyLogMetrics>(&metrics_);
  ProxyLogMetrics* counts = proxy_counts_.get();
  approval_log_ = log;
  approval_observer_ = log->AddObserver([counts](const approval::ApprovalEvent& e) { counts->ObserveApproval(e); });
}

DaemonAdmin::~DaemonAdmin() {
  if (log_) log_->RemoveObserver(log_observer_);  // the counters die with us
  if (approval_log_) approval_log_->RemoveObserver(approval_observer_);
  server_.reset();  // before the TLS context it uses
  if (tls_) SSL_CTX_free(tls_);
}

}  // namespace mailtee::admin
