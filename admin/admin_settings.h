// AdminSettings: everything the admin server needs from the configuration.
// The daemon fills it from <admin .../> (see docs/admin.md); tests fill it
// directly. A plain struct so admin/ does not wait on the config schema.
#pragma once

#include <cstdint>
#include <functional>
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
  // state-changing request whose Origin header differs is refused. Empty:
  // "https://<Host header>" is taken as the console's origin.
  std::string public_url;
  // <approval public-url>: approval-link forms may also come from its origin.
  std::string approval_public_url;

  // Local JSON API without login: <storage>/admin.sock, mode 0660 (daemon user and group). Empty: none.
  std::string socket_path;

  std::string storage_dir;            // logs/ and the archive paths are relative to it
  // Console sessions kept across a stop/reload (admin/auth/session_file.h):
  // <storage>/admin-sessions, 0600. Empty: a restart logs everyone out.
  std::string sessions_file;
  std::string cert_file;              // the server certificate (expiry in /api/status)
  std::string version;                // reported by /api/status

  // GET /metrics without a login (scrapers): from these networks, or with
  // "Authorization: Bearer <metrics_token>" (empty: no token access). See
  // admin/metrics_access.h; the daemon fills them from <admin metrics-...>.
  std::vector<config::Network> metrics_allow = DefaultMetricsAllow();
  std::string metrics_token;

  ParserLimits limits;
  int handshake_timeout_ms = 5000;    // from accept to the end of the TLS handshake
  int idle_timeout_seconds = 60;      // keep-alive connection without a request
  int request_timeout_seconds = 30;   // from the first byte of a request to its end
  // Connection limits (admin/connection_admission.h). Per client = one IPv4
  // address or one IPv6 /64. When all HTTPS slots are taken, a client holding
  // few takes the oldest slot of the one holding the most. The local socket
  // has its own pool, so HTTPS clients cannot lock out `mailtee status`.
  int max_connections_per_ip = 16;
  int max_connections = 256;          // HTTPS
  int max_local_connections = 16;     // <storage>/admin.sock
  int max_pending_logins = 8;         // password hashes in flight at once
  // Checks a password against a users-file hash on a worker thread. Empty:
  // VerifyPassword (Argon2id). Tests put a counting one here.
  std::function<bool(const std::string& password, const std::string& hash)> verify_password;

  SessionStore::Options sessions;
  LoginThrottle::Options throttle;
};

}  // namespace mailtee::admin
