// SelfSignedNamesFor: which names the self-signed certificate must carry.
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <algorithm>

#include "certs/tls_context.h"

namespace mailtee::certs {
namespace {

void AddOnce(std::vector<std::string>* names, const std::string& name) {
  if (std::find(names->begin(), names->end(), name) == names->end()) names->push_back(name);
}

// The machine's addresses a client may use for a wildcard bind: not loopback
// (already a default) and not IPv6 link-local.
void AddInterfaceAddresses(bool ipv6_too, std::vector<std::string>* names) {
  struct ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return;
  for (const struct ifaddrs* i = list; i; i = i->ifa_next) {
    if (i->ifa_addr == nullptr) continue;
    char text[INET6_ADDRSTRLEN] = {};
    if (i->ifa_addr->sa_family == AF_INET) {
      const auto* a = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
      if ((ntohl(a->sin_addr.s_addr) >> 24) == 127) continue;
      if (::inet_ntop(AF_INET, &a->sin_addr, text, sizeof(text))) AddOnce(names, text);
    } else if (ipv6_too && i->ifa_addr->sa_family == AF_INET6) {
      const auto* a = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
      if (IN6_IS_ADDR_LOOPBACK(&a->sin6_addr) || IN6_IS_ADDR_LINKLOCAL(&a->sin6_addr)) continue;
      if (::inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof(text))) AddOnce(names, text);
    }
  }
  ::freeifaddrs(list);
}

void AddBindAddress(const std::string& address, std::vector<std::string>* names) {
  if (address == "0.0.0.0") {
    AddInterfaceAddresses(false, names);
  } else if (address == "::") {  // dual-stack: IPv4 clients too
    AddInterfaceAddresses(true, names);
  } else if (!address.empty()) {
    AddOnce(names, address);
  }
}

}  // namespace

std::vector<std::string> SelfSignedNamesFor(const config::Config& config) {
  std::vector<std::string> names = DefaultSelfSignedNames();
  for (const std::string& n : config.self_signed_names) AddOnce(&names, n);
  for (const config::Listener& l : config.listeners) AddBindAddress(l.address, &names);
  if (config.admin && config.admin->enabled) AddBindAddress(config.admin->address, &names);
  return names;
}

}  // namespace mailtee::certs
