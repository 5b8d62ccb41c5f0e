#include "proxy/net/peer_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace mailtee::net {

PeerAddress PeerAddressFromSockaddr(const sockaddr* addr) {
  PeerAddress p;
  char text[INET6_ADDRSTRLEN] = {};
  if (addr->sa_family == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    p.family = AF_INET;
    std::memcpy(p.bytes, &in->sin_addr, 4);
    p.port = ntohs(in->sin_port);
  } else if (addr->sa_family == AF_INET6) {
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    p.port = ntohs(in6->sin6_port);
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
      p.family = AF_INET;
      std::memcpy(p.bytes, in6->sin6_addr.s6_addr + 12, 4);
    } else {
      p.family = AF_INET6;
      std::memcpy(p.bytes, &in6->sin6_addr, 16);
    }
  } else {
    return p;
  }
  inet_ntop(p.family, p.bytes, text, sizeof(text));
  p.text = text;
  return p;
}

}  // namespace mailtee::net
