// CIDR networks for <allow network="..."/>.
#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstring>

#include "config/config.h"

namespace mailtee::config {

std::optional<Network> Network::Parse(const std::string& text) {
  Network n;
  n.text = text;
  const size_t slash = text.find('/');
  const std::string ip = text.substr(0, slash);
  if (inet_pton(AF_INET, ip.c_str(), n.address) == 1) {
    n.family = AF_INET;
    n.prefix_length = 32;
  } else if (inet_pton(AF_INET6, ip.c_str(), n.address) == 1) {
    n.family = AF_INET6;
    n.prefix_length = 128;
  } else {
    return std::nullopt;
  }
  if (slash != std::string::npos) {
    const std::string bits = text.substr(slash + 1);
    if (bits.empty() || bits.size() > 3 || bits.find_first_not_of("0123456789") != std::string::npos) {
      return std::nullopt;
    }
    const int prefix = std::stoi(bits);
    if (prefix > n.prefix_length) return std::nullopt;
    n.prefix_length = prefix;
  }
  return n;
}

bool Network::Contains(int addr_family, const uint8_t* addr) const {
  uint8_t v4[4];
  static const uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (addr_family == AF_INET6 && family == AF_INET) {
    // ::ffff:192.0.2.1 is how an IPv4 client looks on a dual-stack socket.
    if (std::memcmp(addr, kMappedPrefix, 12) != 0) return false;
    std::memcpy(v4, addr + 12, 4);
    addr = v4;
    addr_family = AF_INET;
  }
  if (addr_family != family) return false;
  int bits = prefix_length;
  for (int i = 0; bits > 0; ++i, bits -= 8) {
    const uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((addr[i] & mask) != (address[i] & mask)) return false;
  }
  return true;
}

bool Network::HasHostBits() const {
  const int total_bits = family == AF_INET ? 32 : 128;
  for (int bit = prefix_length; bit < total_bits; ++bit) {
    if (address[bit / 8] & (0x80 >> (bit % 8))) return true;
  }
  return false;
}

const char* ToString(Protocol p) { return p == Protocol::kSmtp ? "smtp" : "pop3"; }

const char* ToString(TlsMode t) {
  switch (t) {
    case TlsMode::kNone: return "none";
    case TlsMode::kStartTls: return "starttls";
    case TlsMode::kImplicit: return "implicit";
  }
  return "?";
}

}  // namespace mailtee::config
