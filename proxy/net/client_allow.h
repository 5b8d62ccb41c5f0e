// Whether a listener lets a client in: the one <allow> check every protocol's
// session runs right after accept, before it opens anything towards the
// provider (DEVELOPERS.md: every listener enforces its <allow>).
#pragma once

#include "config/config.h"
#include "proxy/net/stream.h"

namespace mailtee::net {

// True when `peer` is inside one of the listener's <allow> networks (an IPv4
// client on a dual-stack socket matches IPv4 networks). Without <allow>, only a
// passthrough listener admits everyone: mode "account" / "none" relay on the
// client's address alone, so there an empty list admits nobody (never an open
// relay, even if a config got past the loader).
bool ListenerAdmits(const config::Listener& listener, const PeerAddress& peer);

}  // namespace mailtee::net
