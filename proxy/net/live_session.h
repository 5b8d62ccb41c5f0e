// LiveSession: what an admin sees of one client session in progress
// (`mailtee sessions`, GET /api/sessions). A snapshot taken on the loop
// thread; never carries secrets (no passwords, no message content).
#pragma once

#include <cstdint>
#include <string>

namespace mailtee::net {

struct LiveSession {
  std::string client;        // "203.0.113.5:53122"
  std::string login;         // authenticated login, "" before AUTH/USER+PASS succeeded
  bool tls = false;          // the client side is encrypted (implicit TLS, STARTTLS or STLS)
  std::string state;         // protocol phase, e.g. "commands", "data", "committing"
  int64_t started_unix = 0;  // when the client connected (seconds since the epoch)
  int messages = 0;          // messages relayed (SMTP, held included) or archived (POP3) so far
};

}  // namespace mailtee::net
