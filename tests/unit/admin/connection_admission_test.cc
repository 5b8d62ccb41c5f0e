// Who may hold an admin connection (admin/connection_admission.h) and how
// often a refusal is logged (admin/log_rate_limiter.h). Issue 13 item 4.
#include <arpa/inet.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include "admin/connection_admission.h"
#include "admin/log_rate_limiter.h"

namespace mailtee::admin {
namespace {

net::PeerAddress Peer(const std::string& text) {
  net::PeerAddress p;
  p.text = text;
  p.family = text.find(':') == std::string::npos ? AF_INET : AF_INET6;
  EXPECT_EQ(inet_pton(p.family, text.c_str(), p.bytes), 1) << text;
  return p;
}

using Refusal = ConnectionAdmission::Refusal;

TEST(ConnectionAdmissionTest, ClientKeyIsTheAddressForIpv4AndTheSlash64ForIpv6) {
  EXPECT_EQ(ClientKey(Peer("192.0.2.7")), "192.0.2.7");
  EXPECT_EQ(ClientKey(Peer("2001:db8:1:2::1")), "2001:db8:1:2::/64");
  EXPECT_EQ(ClientKey(Peer("2001:db8:1:2:ffff:eeee:dddd:cccc")), "2001:db8:1:2::/64");
  EXPECT_EQ(ClientKey(Peer("2001:db8:1:3::1")), "2001:db8:1:3::/64");
  EXPECT_EQ(ClientKey(Peer("::1")), "::/64");
}

TEST(ConnectionAdmissionTest, PerClientCapCountsAWholeIpv6Slash64AsOneClient) {
  ConnectionAdmission admission({/*max_tcp=*/100, /*max_per_client=*/2, /*max_local=*/4});
  EXPECT_TRUE(admission.AdmitTcp(Peer("2001:db8:1:2::1")).admitted());
  EXPECT_TRUE(admission.AdmitTcp(Peer("2001:db8:1:2::2")).admitted());
  // A third address of the same /64 is the same client.
  ConnectionAdmission::Decision d = admission.AdmitTcp(Peer("2001:db8:1:2:aaaa::3"));
  EXPECT_FALSE(d.admitted());
  EXPECT_EQ(d.refusal, Refusal::kPerClient);
  EXPECT_EQ(d.reason, "too many connections from 2001:db8:1:2::/64 (limit 2)");
  // The next /64 and IPv4 addresses are other clients.
  EXPECT_TRUE(admission.AdmitTcp(Peer("2001:db8:1:3::1")).admitted());
  EXPECT_TRUE(admission.AdmitTcp(Peer("192.0.2.7")).admitted());
  EXPECT_TRUE(admission.AdmitTcp(Peer("192.0.2.8")).admitted());
  EXPECT_EQ(admission.connections_of("2001:db8:1:2::/64"), 2);
  EXPECT_EQ(admission.tcp_connections(), 5);
}

TEST(ConnectionAdmissionTest, ReleasingASlotLetsTheClientConnectAgain) {
  ConnectionAdmission admission({100, 1, 4});
  ConnectionAdmission::Decision first = admission.AdmitTcp(Peer("192.0.2.7"));
  ASSERT_TRUE(first.admitted());
  EXPECT_FALSE(admission.AdmitTcp(Peer("192.0.2.7")).admitted());
  admission.Release(first.id);
  admission.Release(first.id);  // twice is harmless
  EXPECT_EQ(admission.connections_of("192.0.2.7"), 0);
  EXPECT_TRUE(admission.AdmitTcp(Peer("192.0.2.7")).admitted());
  EXPECT_EQ(admission.tcp_connections(), 1);
}

TEST(ConnectionAdmissionTest, FullPoolEvictsTheOldestConnectionOfTheBiggestHolder) {
  ConnectionAdmission admission({/*max_tcp=*/4, /*max_per_client=*/16, /*max_local=*/4});
  std::vector<ConnectionAdmission::Id> flood;
  for (int i = 0; i < 3; ++i) flood.push_back(admission.AdmitTcp(Peer("198.51.100.1")).id);
  const ConnectionAdmission::Id other = admission.AdmitTcp(Peer("198.51.100.2")).id;
  ASSERT_NE(other, 0u);
  ConnectionAdmission::Decision d = admission.AdmitTcp(Peer("192.0.2.7"));
  ASSERT_TRUE(d.admitted());
  EXPECT_EQ(d.evicted, flood[0]);
  EXPECT_NE(d.reason.find("198.51.100.1"), std::string::npos) << d.reason;
  EXPECT_EQ(admission.connections_of("198.51.100.1"), 2);
  EXPECT_EQ(admission.tcp_connections(), 4);
  admission.Release(flood[0]);  // its close finishing later changes nothing
  EXPECT_EQ(admission.tcp_connections(), 4);
  // Now 2/1/1: a newcomer takes from the holder of two ...
  d = admission.AdmitTcp(Peer("192.0.2.8"));
  ASSERT_TRUE(d.admitted());
  EXPECT_EQ(d.evicted, flood[1]);
  // ... but at 1/1/1/1 nobody holds two more than a newcomer: refused.
  d = admission.AdmitTcp(Peer("192.0.2.9"));
  EXPECT_FALSE(d.admitted());
  EXPECT_EQ(d.refusal, Refusal::kFull);
  // Nor may one of the holders take a second slot.
  EXPECT_FALSE(admission.AdmitTcp(Peer("192.0.2.7")).admitted());
}

TEST(ConnectionAdmissionTest, TheLocalSocketHasItsOwnPool) {
  ConnectionAdmission admission({/*max_tcp=*/2, /*max_per_client=*/2, /*max_local=*/2});
  EXPECT_TRUE(admission.AdmitTcp(Peer("192.0.2.7")).admitted());
  EXPECT_TRUE(admission.AdmitTcp(Peer("192.0.2.7")).admitted());
  EXPECT_FALSE(admission.AdmitTcp(Peer("192.0.2.7")).admitted());  // TCP is full for this client
  ConnectionAdmission::Decision a = admission.AdmitLocal();
  ConnectionAdmission::Decision b = admission.AdmitLocal();
  EXPECT_TRUE(a.admitted());
  EXPECT_TRUE(b.admitted());
  ConnectionAdmission::Decision c = admission.AdmitLocal();
  EXPECT_FALSE(c.admitted());
  EXPECT_EQ(c.refusal, Refusal::kLocalFull);
  admission.Release(a.id);
  EXPECT_TRUE(admission.AdmitLocal().admitted());
  EXPECT_EQ(admission.tcp_connections(), 2);
  EXPECT_EQ(admission.local_connections(), 2);
}

TEST(LogRateLimiterTest, OneLinePerIntervalCountingTheOnesHeldBack) {
  using std::chrono::seconds;
  LogRateLimiter limiter(seconds(10));
  const LogRateLimiter::Clock::time_point t0{};
  uint64_t held = 99;
  EXPECT_TRUE(limiter.Allow(t0, &held));
  EXPECT_EQ(held, 0u);
  EXPECT_FALSE(limiter.Allow(t0 + seconds(1), &held));
  EXPECT_FALSE(limiter.Allow(t0 + seconds(9), &held));
  EXPECT_TRUE(limiter.Allow(t0 + seconds(10), &held));
  EXPECT_EQ(held, 2u);
  EXPECT_TRUE(limiter.Allow(t0 + seconds(60), &held));
  EXPECT_EQ(held, 0u);
}

}  // namespace
}  // namespace mailtee::admin
