#include "proxy/net/client_allow.h"

namespace mailtee::net {

bool ListenerAdmits(const config::Listener& listener, const PeerAddress& peer) {
  if (listener.allow.empty()) return listener.auth.mode == config::AuthMode::kPassthrough;
  for (const config::Network& network : listener.allow) {
    if (network.Contains(peer.family, peer.bytes)) return true;
  }
  return false;
}

}  // namespace mailtee::net
