#include "proxy/approval/relay_target.h"

namespace mailtee::approval {

Status MakeRelayTarget(const config::Listener& listener, SSL_CTX* tls_context, const std::string& helo_name,
                       RelayTarget* out) {
  if (!listener.upstream) return Status::Error("listener '" + listener.name + "' has no <upstream> to relay through");
  const config::Upstream& u = *listener.upstream;
  if (u.tls != config::TlsMode::kNone && tls_context == nullptr) {
    return Status::Error("relay through " + u.host + " needs a TLS client context");
  }
  *out = RelayTarget();
  out->host = u.host;
  out->port = u.port;
  out->tls = u.tls;
  out->verify = u.verify;
  out->tls_context = tls_context;
  out->helo_name = helo_name.empty() ? "mailtee.local" : helo_name;
  // The provider's end-of-data reply can take long for big messages (RFC 5321 §4.5.3.2: 10 minutes).
  out->timeout_seconds = listener.timeouts.data_end;
  return Status::Ok();
}

}  // namespace mailtee::approval
