// The small interfaces through which the admin server sees the rest of the
// daemon. admin/ never reaches into proxy/ or archive/ internals: the daemon
// (or a test) hands it implementations of these.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "archive/index_db.h"
#include "archive/index_query.h"
#include "archive/index_record.h"
#include "archive/log_book.h"
#include "config/config.h"
#include "config/status.h"
#include "proxy/daemon/daemon.h"

namespace mailtee::approval {
class ApprovalLog;
class ApprovalService;
}  // namespace mailtee::approval

namespace mailtee::admin {

class Metrics;

// Live state of the proxy listeners.
class StatusSource {
 public:
  virtual ~StatusSource() = default;
  virtual std::vector<daemon::ListenerInfo> Listeners() const = 0;
  // Live client sessions (no secrets); empty when not known.
  virtual std::vector<daemon::SessionInfo> Sessions() const { return {}; }
};

// Read access to the archive search index. Record paths are relative to
// storage_dir().
class ArchiveQuery {
 public:
  virtual ~ArchiveQuery() = default;
  virtual Status Search(const archive::Query& query, archive::ResultPage* page) = 0;
  virtual Status Get(const std::string& id, archive::IndexRecord* record, bool* found) = 0;
  virtual const std::string& storage_dir() const = 0;
  // The open index itself, for whole-archive jobs run on a worker thread
  // (/api/archive/stats, /api/archive/verify); null when not available.
  virtual archive::ArchiveIndex* index() { return nullptr; }
};

struct AdminServices {
  StatusSource* status = nullptr;         // null: no listeners reported
  ArchiveQuery* archive = nullptr;        // null: archive endpoints answer 503
  archive::LogBook* log = nullptr;        // admin audit lines ("admin: ...") and errors; may be null
  const config::Config* config = nullptr; // null: /api/config answers 503
  Metrics* metrics = nullptr;             // null: /metrics shows only the built-in gauges
  // Graceful restart-in-place with the config file on disk (drain like
  // SIGTERM, then exec the same binary with the same arguments). Set by
  // `mailtee run`; empty: POST /api/config/reload answers 503. Loop thread.
  std::function<void()> request_reload;
  // The approval hold (runs on the same loop). null: /approval/<token> and
  // /api/approvals answer 404 "approvals are not enabled on this server".
  approval::ApprovalService* approvals = nullptr;
  // Where admin decisions are logged beside the service's own lines; may be null.
  approval::ApprovalLog* approval_log = nullptr;
};

// Adapters for the real daemon objects.
class DaemonStatusSource : public StatusSource {
 public:
  explicit DaemonStatusSource(const daemon::Daemon* daemon) : daemon_(daemon) {}
  std::vector<daemon::ListenerInfo> Listeners() const override { return daemon_->listeners(); }
  std::vector<daemon::SessionInfo> Sessions() const override { return daemon_->sessions(); }

 private:
  const daemon::Daemon* daemon_;
};

}  // namespace mailtee::admin
