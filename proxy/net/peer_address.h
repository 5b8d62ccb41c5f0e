// PeerAddress from a socket address. IPv4-mapped IPv6 addresses (a dual-stack
// "::" listener) are reported as plain IPv4 so per-IP limits and logs see one
// address per client.
#pragma once

#include <sys/socket.h>

#include "proxy/net/stream.h"

namespace mailtee::net {

PeerAddress PeerAddressFromSockaddr(const sockaddr* addr);

}  // namespace mailtee::net
