// Listener-wide connection cap (issue 13 item 12, docs/net.md): a listener at
// max-connections answers the next client with the protocol's busy reply and
// closes it before a session — and so a provider connection — exists for it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/integration/fake_pop3_upstream.h"
#include "tests/integration/pop3_test_harness.h"
#include "tests/integration/smtp_proxy_fixture.h"

namespace mailtee {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class SmtpConnectionCapTest : public smtp_testing::SmtpProxyFixture {};

TEST_F(SmtpConnectionCapTest, ListenerAtMaxConnectionsRefusesWithBusyReplyAndNoProviderConnection) {
  StartWith({}, [](config::Listener& l) {
    l.max_connections = 2;
    l.max_connections_per_ip = 0;  // all clients come from 127.0.0.1: only the listener-wide cap applies
  });
  smtp_testing::SmtpTestClient a(harness_.port());
  smtp_testing::SmtpTestClient b(harness_.port());
  EXPECT_THAT(a.ReadReply(), StartsWith("220 "));
  EXPECT_THAT(b.ReadReply(), StartsWith("220 "));
  smtp_testing::SmtpTestClient c(harness_.port());
  EXPECT_EQ(c.ReadUntilClose(), "421 4.7.0 too many connections (limit 2)\r\n");
  EXPECT_EQ(upstream_->connections(), 2);
  EXPECT_EQ(harness_.SessionCount(), 2u);
  EXPECT_THAT(harness_.LogText("connections"), HasSubstr("reject client=127.0.0.1 reason=too many connections (limit 2)"));

  // A slot frees when a session ends.
  a.Send("QUIT\r\n");
  EXPECT_THAT(a.ReadUntilClose(), StartsWith("221"));
  ASSERT_TRUE(upstream_->WaitFor([&] { return upstream_->closed_connections() == 1; }));
  smtp_testing::SmtpTestClient d(harness_.port());
  EXPECT_THAT(d.ReadReply(), StartsWith("220 "));
}

TEST(Pop3ConnectionCap, ListenerAtMaxConnectionsRefusesWithBusyReplyAndNoProviderConnection) {
  testing::FakeMailbox mb;
  testing::FakePop3Upstream upstream(mb, {});
  testing::Pop3Harness h;
  config::Listener l = testing::Pop3Harness::MakeListener(upstream.port());
  l.max_connections = 1;
  l.max_connections_per_ip = 0;
  h.Start(l);
  testing::Pop3TestClient a(h.port());
  EXPECT_EQ(a.ReadLine().substr(0, 3), "+OK");
  testing::Pop3TestClient b(h.port());
  EXPECT_EQ(b.ReadUntilClose(), "-ERR [SYS/TEMP] too many connections (limit 1)\r\n");
  EXPECT_EQ(upstream.connections(), 1);
  EXPECT_EQ(h.SessionCount(), 1u);
  EXPECT_NE(h.LogText("connections").find("client=127.0.0.1 rejected: too many connections (limit 1)"),
            std::string::npos);
}

}  // namespace
}  // namespace mailtee
