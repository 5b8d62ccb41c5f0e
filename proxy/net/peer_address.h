// PeerAddress from a socket address. IPv4-mapped IPv6 addresses (a dual-stack
// "::" listener) are reported as plain IPv4 so per-IP limits and logs see one
// address per client.
#pragma once

#include <sys/socket.h>

#include "proxy/net/stream.h"

namespace mailtee::net {

PeerAddress PeerAddressFromSockaddr(const sockaddr* addr);

// What the per-IP connection cap counts: the IPv4 address itself, or the /64
// network of an IPv6 address ("2001:db8:1:2::/64"). A single IPv6 host is
// normally given a whole /64 and can pick any address in it, so counting exact
// IPv6 addresses would let one client open 2^64 "different" connections.
std::string ConnectionCapKey(const PeerAddress& peer);
// The same key for an address literal ("192.0.2.7", "2001:db8::5"); the text
// itself when it is not one.
std::string ConnectionCapKey(const std::string& ip_text);

}  // namespace mailtee::net
