// LocalApiClient: a blocking HTTP/1.1 client for the daemon's local admin
// socket (<storage>/admin.sock), for CLI commands such as `mailtee status`
// that must ask the running daemon (it holds the archive index's lock).
#pragma once

#include <string>

#include "config/status.h"

namespace mailtee::admin {

// The socket path for a storage dir: "<storage>/admin.sock".
std::string AdminSocketPath(const std::string& storage_dir);

struct LocalResponse {
  int status = 0;
  std::string content_type;
  std::string body;
};

// Sends one request ("GET", "/api/status") and reads the whole answer (at
// most max_body bytes) within timeout_ms. A daemon that is not running gives
// an error that says so ("is mailtee running? ...").
Status LocalApiRequest(const std::string& socket_path, const std::string& method, const std::string& target,
                       LocalResponse* out, int timeout_ms = 10000, size_t max_body = 64 << 20);
// The same with a JSON request body (POST /api/approvals/{id}/approve ...).
Status LocalApiRequest(const std::string& socket_path, const std::string& method, const std::string& target,
                       const std::string& json_body, LocalResponse* out, int timeout_ms = 10000,
                       size_t max_body = 64 << 20);

}  // namespace mailtee::admin
