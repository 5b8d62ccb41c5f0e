// Network::Parse and Contains, table-driven: IPv4, IPv6, bare addresses,
// IPv4-mapped IPv6 clients against IPv4 networks, and malformed input.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include "config/config.h"

namespace mailtee::config {
namespace {

struct ParseCase {
  const char* text;
  bool valid;
  int family;
  int prefix;
  bool host_bits;
};

TEST(Network, ParseTable) {
  const ParseCase cases[] = {
      {"192.168.0.0/16", true, AF_INET, 16, false},
      {"10.1.2.3", true, AF_INET, 32, false},
      {"0.0.0.0/0", true, AF_INET, 0, false},
      {"192.168.1.7/24", true, AF_INET, 24, true},
      {"10.0.0.1/32", true, AF_INET, 32, false},
      {"::1", true, AF_INET6, 128, false},
      {"2001:db8::/32", true, AF_INET6, 32, false},
      {"2001:db8::1/64", true, AF_INET6, 64, true},
      {"::/0", true, AF_INET6, 0, false},
      {"::ffff:10.0.0.0/104", true, AF_INET6, 104, false},
      {"192.168.0.0/33", false, 0, 0, false},
      {"2001:db8::/129", false, 0, 0, false},
      {"192.168.0.0/", false, 0, 0, false},
      {"192.168.0.0/-1", false, 0, 0, false},
      {"192.168.0.0/1a", false, 0, 0, false},
      {"192.168.0.0/0016", false, 0, 0, false},
      {"/24", false, 0, 0, false},
      {"", false, 0, 0, false},
      {"256.1.1.1", false, 0, 0, false},
      {"office-lan", false, 0, 0, false},
      {"10.0.0.0/8 ", false, 0, 0, false},
      {"fe80::1%eth0", false, 0, 0, false},
  };
  for (const ParseCase& c : cases) {
    SCOPED_TRACE(c.text);
    auto n = Network::Parse(c.text);
    ASSERT_EQ(n.has_value(), c.valid);
    if (!n) continue;
    EXPECT_EQ(n->family, c.family);
    EXPECT_EQ(n->prefix_length, c.prefix);
    EXPECT_EQ(n->HasHostBits(), c.host_bits);
    EXPECT_EQ(n->text, c.text);
  }
}

// Contains(addr) with addr given as text (IPv4 or IPv6).
bool Contains(const char* network, const char* addr) {
  auto n = Network::Parse(network);
  EXPECT_TRUE(n.has_value()) << network;
  if (!n) return false;
  uint8_t buf[16];
  if (inet_pton(AF_INET, addr, buf) == 1) return n->Contains(AF_INET, buf);
  EXPECT_EQ(inet_pton(AF_INET6, addr, buf), 1) << addr;
  return n->Contains(AF_INET6, buf);
}

struct ContainsCase {
  const char* network;
  const char* addr;
  bool inside;
};

TEST(Network, ContainsTable) {
  const ContainsCase cases[] = {
      {"192.168.0.0/16", "192.168.200.7", true},
      {"192.168.0.0/16", "192.169.0.1", false},
      {"192.168.1.0/24", "192.168.1.255", true},
      {"192.168.1.0/24", "192.168.2.0", false},
      {"10.0.0.0/9", "10.127.255.255", true},   // prefix not on a byte boundary
      {"10.0.0.0/9", "10.128.0.0", false},
      {"10.1.2.3", "10.1.2.3", true},           // bare address is /32
      {"10.1.2.3", "10.1.2.4", false},
      {"0.0.0.0/0", "203.0.113.9", true},
      {"192.168.1.7/24", "192.168.1.200", true},  // host bits ignored
      {"192.168.0.0/16", "::ffff:192.168.3.4", true},  // IPv4-mapped client
      {"192.168.0.0/16", "::ffff:10.0.0.1", false},
      {"192.168.0.0/16", "::192.168.3.4", false},     // compatible, not mapped
      {"192.168.0.0/16", "2001:db8::1", false},
      {"::1", "::1", true},                            // bare IPv6 is /128
      {"::1", "::2", false},
      {"2001:db8::/32", "2001:db8:ffff::1", true},
      {"2001:db8::/32", "2001:db9::1", false},
      {"2001:db8::/33", "2001:db8:7fff::1", true},
      {"2001:db8::/33", "2001:db8:8000::1", false},
      {"::/0", "fe80::1", true},
      {"::/0", "10.0.0.1", false},                     // IPv6 network, IPv4 client
      {"2001:db8::/32", "192.168.0.1", false},
  };
  for (const ContainsCase& c : cases) {
    EXPECT_EQ(Contains(c.network, c.addr), c.inside) << c.network << " contains " << c.addr;
  }
}

}  // namespace
}  // namespace mailtee::config
