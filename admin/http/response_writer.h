// Serialises a Response's status line and headers (and body, unless it is a
// HEAD answer or a file body streamed separately). Every response carries the
// hardening headers an admin console needs: no caching, no sniffing, no
// framing, a strict CSP, and HSTS over TLS.
#pragma once

#include <string>

#include "admin/http/http_message.h"

namespace mailtee::admin {

struct WriteOptions {
  bool keep_alive = true;
  bool head_only = false;  // HEAD: headers (with Content-Length) but no body
  bool tls = false;        // adds Strict-Transport-Security
};

// Head (and, for in-memory bodies, the body) ready for the socket.
std::string SerializeResponse(const Response& response, const WriteOptions& options);

}  // namespace mailtee::admin
