// WireRefusals: connects a TcpListener to the protocol side that answers and
// logs the clients it refuses — SmtpProxy, Pop3Proxy or the daemon's
// SessionOwner (each has RejectBusy, BusyReply and LogRefusal) — and applies
// the listener's connection caps from its config. One place for the daemon
// and the integration harnesses, so tests run the wiring the daemon runs.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "config/config.h"
#include "proxy/net/listener.h"

namespace mailtee::net {

template <typename Proxy>
void WireRefusals(TcpListener* tcp, const config::Listener& listener, Proxy* proxy) {
  tcp->set_on_rejected([proxy](std::unique_ptr<Stream> client, const std::string& reason) {
    proxy->RejectBusy(std::move(client), reason);
  });
  tcp->set_max_connections(listener.max_connections);
  tcp->set_busy_reply(proxy->BusyReply("mailtee is busy, try again later"));
  tcp->set_refusal_log([proxy](const std::string& client, const std::string& reason, uint64_t more) {
    proxy->LogRefusal(client, reason, more);
  });
}

}  // namespace mailtee::net
