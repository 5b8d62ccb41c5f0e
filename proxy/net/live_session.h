// LiveSession: what an admin sees of one client session in progress
// (`mailtee sessions`, GET /api/sessions). A snapshot taken on the loop
// thread; never carries secrets (no passwords, no message content).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace mailtee::net {

struct LiveSession {
  std::string client;        // "203.0.113.5:53122"
  std::string login;         // authenticated login, "" before AUTH/USER+PASS succeeded
  bool tls = false;          // the client side is encrypted (implicit TLS, STARTTLS or STLS)
  std::string state;         // protocol phase, e.g. "commands", "data", "committing"
  int64_t started_unix = 0;  // when the client connected (seconds since the epoch)
  int messages = 0;          // messages relayed (SMTP, held included) or archived (POP3) so far
};

// Snapshot() of every session in a proxy's session map (raw pointer ->
// unique_ptr), oldest first: what SmtpProxy and Pop3Proxy::LiveSessions return.
template <typename SessionMap>
std::vector<LiveSession> SnapshotSessions(const SessionMap& sessions) {
  std::vector<LiveSession> out;
  out.reserve(sessions.size());
  for (const auto& entry : sessions) out.push_back(entry.second->Snapshot());
  std::stable_sort(out.begin(), out.end(),
                   [](const LiveSession& a, const LiveSession& b) { return a.started_unix < b.started_unix; });
  return out;
}

}  // namespace mailtee::net
