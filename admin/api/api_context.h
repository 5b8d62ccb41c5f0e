// ApiContext: what every API handler group shares — settings, services, the
// session store, the login throttle, the user directory, and the audit log.
// Owned by AdminServer; the Add*Routes functions register one group each.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "admin/admin_services.h"
#include "admin/admin_settings.h"
#include "admin/auth/login_throttle.h"
#include "admin/auth/session_store.h"
#include "admin/auth/users_file.h"
#include "admin/http/router.h"

typedef struct uv_loop_s uv_loop_t;

namespace mailtee::admin {

struct ApiContext {
  uv_loop_t* loop = nullptr;
  const AdminSettings* settings = nullptr;
  AdminServices services;
  SessionStore* sessions = nullptr;
  LoginThrottle* throttle = nullptr;
  UserDirectory* users = nullptr;
  std::chrono::system_clock::time_point started_at = std::chrono::system_clock::now();
  std::chrono::steady_clock::time_point started_steady = std::chrono::steady_clock::now();
  // Reset when the server goes away, so late worker-thread results are dropped.
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);
  int pending_logins = 0;
  uint64_t users_generation_seen = 0;  // UserDirectory::generation() at the last session sweep

  // The live session named by the request's cookie, or null. First ends every
  // session whose account was removed or changed (password or role) in the
  // users file since login — checked on each request, so `mailtee admin
  // add-user/remove-user` take effect at once, also while the daemon runs.
  const AdminSession* FindSession(const Request& request);

  // One line in the system log: "admin: user=alice from=192.0.2.1 <what>".
  // (A dedicated LogKind for admin actions is planned; see docs/admin.md.)
  void Audit(const std::string& user, const std::string& from, const std::string& what) const;
  // Errors worth an operator's attention (unreadable users file, ...).
  void LogError(const std::string& what) const;
};

void AddAuthRoutes(Router* router, ApiContext* ctx);     // /api/login, /api/logout, /api/session
void AddStatusRoutes(Router* router, ApiContext* ctx);   // /api/status, /api/sessions
void AddArchiveRoutes(Router* router, ApiContext* ctx);  // /api/archive/...
void AddLogRoutes(Router* router, ApiContext* ctx);      // /api/logs
void AddConfigRoutes(Router* router, ApiContext* ctx);   // /api/config
void AddConfigCheckRoutes(Router* router, ApiContext* ctx);  // /api/config/validate, /api/config/reload
void AddMetricsRoutes(Router* router, ApiContext* ctx);  // /metrics
void AddConsoleRoutes(Router* router, ApiContext* ctx);  // / and the web console's files (admin/web)
void AddMessageRoutes(Router* router, ApiContext* ctx);  // /api/archive/{id}/parts, /part/{n} (viewer)
void AddStatsRoutes(Router* router, ApiContext* ctx);    // /api/stats/volume (dashboard charts)
void AddApprovalLinkRoutes(Router* router, ApiContext* ctx);  // /approval/{token} (links in approval mails)
void AddApprovalRoutes(Router* router, ApiContext* ctx);      // /api/approvals/...

}  // namespace mailtee::admin
