// AdminSettings: everything the admin server needs from the configuration.
// The daemon fills it from <admin .../> (see docs/admin.md); tests fill it
// directly. A plain struct so admin/ does not wait on the config schema.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "admin/auth/login_throttle.h"
#include "admin/auth/session_store.h"
#include "admin/http/request_parser.h"
#include "admin/metrics_access.h"

namespace mailtee::admin {

struct AdminSettings {
  // HTTPS console + API. enabled=false: only the local socket (if any).
  bool https_enabled = true;
  std::string address = "127.0.0.1";
  uint16_t port = 8443;               // 0: ephemeral (tests)
  std::string users_file;             // absolute path of admin-users.xml
  // "https://mailtee.company.example:8443": the origin browsers use; a
  // state-changing request whose Origin header differs is refused.
  std::string public_url;

  // Local JSON API without login: <storage>/admin.sock, mode 0660 (daemon user and group). Empty: none.
  std::string socket_path;

  std::string storage_dir;            // logs/ and the archive paths are relative to it
  std::string cert_file;              // the server certificate (expiry in /api/status)
  std::string version;                // reported by /api/status

  // GET /metrics without a login (scrapers): from these networks, or with
  // "Authorization: Bearer <metrics_token>" (empty: no token access). See
  // admin/metrics_access.h; the daemon fills them from <admin metrics-...>.
  std::vector<config::Network> metrics_allow = DefaultMetricsAllow();
  std::string metrics_token;

  ParserLimits limits;
  int idle_timeout_seconds = 60;      // keep-alive connection without a request
  int request_timeout_seconds = 30;   // from the first byte of a request to its end
  int max_connections_per_ip = 16;
  int max_connections = 256;
  int max_pending_logins = 8;         // password hashes in flight at once

  SessionStore::Options sessions;
  LoginThrottle::Options throttle;
};

}  // namespace mailtee::admin
