// Every POP3 listener enforces its <allow> (issue 13 item 2): a client outside
// it gets "-ERR" and no session; mailtee opens nothing towards the provider.
#include <gtest/gtest.h>

#include <string>

#include "tests/integration/fake_pop3_upstream.h"
#include "tests/integration/pop3_test_harness.h"

namespace mailtee::testing {
namespace {

constexpr char kMessage[] = "Subject: allowed\r\n\r\nhello\r\n";

config::Listener Allowing(uint16_t upstream_port, std::initializer_list<const char*> networks) {
  config::Listener l = Pop3Harness::MakeListener(upstream_port);
  for (const char* n : networks) l.allow.push_back(*config::Network::Parse(n));
  return l;
}

// A full session: greeting, login, one archived RETR, QUIT.
void ExpectSession(Pop3TestClient& c) {
  ASSERT_EQ(c.ReadLine().substr(0, 4), "+OK ");
  c.Send("USER alice\r\nPASS secret\r\nRETR 1\r\nQUIT\r\n");
  EXPECT_EQ(c.ReadLine().substr(0, 3), "+OK");
  EXPECT_EQ(c.ReadLine(), "+OK logged in\r\n");
  EXPECT_EQ(c.ReadMultiLine().substr(0, 3), "+OK");
  EXPECT_EQ(c.ReadLine(), "+OK bye\r\n");
}

TEST(Pop3Allow, ClientOutsideAllowGetsErrAndNoProviderConnection) {
  FakePop3Upstream upstream(FakeMailbox{.messages = {kMessage}}, {});
  {
    Pop3Harness h;
    h.Start(Allowing(upstream.port(), {"192.0.2.0/24", "2001:db8::/32"}));
    Pop3TestClient c(h.port());
    EXPECT_EQ(c.ReadLine(), "-ERR [SYS/PERM] connections from 127.0.0.1 are not allowed on this listener\r\n");
    EXPECT_EQ(c.ReadUntilClose(), "") << "the connection ends after the refusal";
    EXPECT_EQ(upstream.connections(), 0) << "a refused client must not cause a provider connection";
    h.Stop();
    std::string log = h.LogText("connections");
    EXPECT_NE(log.find("client=127.0.0.1 user=- abort reason=\"not in allow list\""), std::string::npos) << log;
    EXPECT_EQ(log.find("relaying"), std::string::npos) << log;
    EXPECT_TRUE(h.sink().entries().empty());
  }
  // The same provider behind a listener whose <allow> holds the client: a session.
  Pop3Harness h;
  h.Start(Allowing(upstream.port(), {"192.0.2.0/24", "127.0.0.0/8"}));
  Pop3TestClient c(h.port());
  ExpectSession(c);
  EXPECT_EQ(upstream.connections(), 1);
  ASSERT_TRUE(h.sink().WaitFor([](auto& e) { return e.size() == 1 && e[0].committed; }));
}

// An implicit-TLS client expects a handshake: a plaintext -ERR would read as a
// broken one, so the connection closes without a handshake (and without a byte).
TEST(Pop3Allow, ImplicitTlsListenerClosesWithoutAHandshake) {
  FakePop3Upstream upstream(FakeMailbox{.messages = {kMessage}}, {});
  Pop3Harness h;
  config::Listener l = Allowing(upstream.port(), {"192.0.2.0/24"});
  l.tls = config::TlsMode::kImplicit;
  h.Start(l);
  Pop3TestClient c(h.port());
  EXPECT_FALSE(c.StartTls());
  EXPECT_EQ(upstream.connections(), 0);
  h.Stop();
  EXPECT_NE(h.LogText("connections").find("abort reason=\"not in allow list\""), std::string::npos);
}

// IPv6 clients match IPv6 networks; an IPv4 network never admits ::1.
TEST(Pop3Allow, Ipv6ClientIsMatchedAgainstIpv6Networks) {
  FakePop3Upstream upstream(FakeMailbox{.messages = {kMessage}}, {});
  {
    Pop3Harness h;
    config::Listener l = Allowing(upstream.port(), {"127.0.0.0/8", "2001:db8::/32"});
    l.address = "::1";
    h.Start(l);
    Pop3TestClient c(h.port(), "::1");
    ASSERT_TRUE(c.connected());
    EXPECT_EQ(c.ReadLine(), "-ERR [SYS/PERM] connections from ::1 are not allowed on this listener\r\n");
    EXPECT_EQ(upstream.connections(), 0);
  }
  Pop3Harness h;
  config::Listener l = Allowing(upstream.port(), {"::1/128"});
  l.address = "::1";
  h.Start(l);
  Pop3TestClient c(h.port(), "::1");
  ExpectSession(c);
  EXPECT_EQ(upstream.connections(), 1);
}

}  // namespace
}  // namespace mailtee::testing
