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

std::string ConnectionCapKey(const PeerAddress& peer) {
  if (peer.family != AF_INET6) return peer.text;
  uint8_t network[16] = {};
  std::memcpy(network, peer.bytes, 8);
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(AF_INET6, network, text, sizeof(text));
  return std::string(text) + "/64";
}

std::string ConnectionCapKey(const std::string& ip_text) {
  PeerAddress p;
  p.text = ip_text;
  if (inet_pton(AF_INET6, ip_text.c_str(), p.bytes) == 1) p.family = AF_INET6;
  return ConnectionCapKey(p);
}

}  // namespace mailtee::net
