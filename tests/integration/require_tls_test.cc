// <listener require-tls="true"> (issue 13 item 16): no mail transaction and no
// login before the client has started TLS. On an account/none SMTP listener
// the client never logs in, so without it a scanner's mail may cross the LAN
// in clear; after STARTTLS / STLS the same session goes on normally.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/integration/fake_pop3_upstream.h"
#include "tests/integration/pop3_test_harness.h"
#include "tests/integration/smtp_proxy_fixture.h"

namespace mailtee {
namespace {

using ::testing::StartsWith;

class RequireTlsSmtpTest : public smtp_testing::SmtpProxyFixture {
 protected:
  void StartAccountListener(bool require_tls) {
    StartWith({}, [require_tls](config::Listener& l) {
      l.tls = config::TlsMode::kStartTls;
      l.require_tls = require_tls;
      l.auth.mode = config::AuthMode::kAccount;
      l.auth.user = "alice@example.org";
      l.auth.password = "secret";
      l.allow.push_back(*config::Network::Parse("127.0.0.0/8"));
    });
  }
};

TEST_F(RequireTlsSmtpTest, MailBeforeStartTlsIsRefusedAndWorksAfterIt) {
  StartAccountListener(/*require_tls=*/true);
  smtp_testing::SmtpTestClient c(harness_.port());
  EXPECT_THAT(c.ReadReply(), StartsWith("220 "));
  c.Send("EHLO scanner\r\n");
  EXPECT_THAT(c.ReadReply(), ::testing::HasSubstr("STARTTLS"));
  c.Send("MAIL FROM:<scanner@example.org>\r\n");
  EXPECT_EQ(c.ReadReply(), "530 5.7.0 Must issue a STARTTLS command first\r\n");
  c.Send("STARTTLS\r\n");
  EXPECT_EQ(c.ReadReply(), "220 2.0.0 ready to start TLS\r\n");
  ASSERT_TRUE(c.StartTls());
  c.Send("EHLO scanner\r\nMAIL FROM:<scanner@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250"));
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  EXPECT_THAT(c.ReadReply(), StartsWith("354 "));
  c.Send("Subject: scan\r\n\r\nscan\r\n.\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  ASSERT_EQ(harness_.sink().records().size(), 1u);
  // Only the MAIL that came over TLS reached the provider.
  int mails = 0;
  for (const std::string& cmd : upstream_->commands()) mails += cmd.rfind("MAIL FROM:", 0) == 0;
  EXPECT_EQ(mails, 1);
}

TEST_F(RequireTlsSmtpTest, WithoutTheAttributeMailMayStayInClear) {
  // The default keeps scanners that never issue STARTTLS working.
  StartAccountListener(/*require_tls=*/false);
  smtp_testing::SmtpTestClient c(harness_.port());
  EXPECT_THAT(c.ReadReply(), StartsWith("220 "));
  c.Send("EHLO scanner\r\nMAIL FROM:<scanner@example.org>\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250"));
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
}

TEST(RequireTlsPop3Test, LoginBeforeStlsIsRefusedAndWorksAfterIt) {
  testing::FakeMailbox mb;
  mb.messages.push_back("Subject: one\r\n\r\nhello\r\n");
  testing::FakePop3Upstream upstream(mb, {});
  testing::Pop3Harness h;
  config::Listener l = testing::Pop3Harness::MakeListener(upstream.port());
  l.tls = config::TlsMode::kStartTls;
  l.require_tls = true;
  h.Start(l);
  testing::Pop3TestClient c(h.port());
  c.ReadLine();
  c.Send("USER alice\r\nPASS secret\r\nAPOP alice 0123456789abcdef\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n");
  for (int i = 0; i < 4; ++i) EXPECT_EQ(c.ReadLine(), "-ERR [AUTH] TLS required: issue STLS first\r\n");
  c.Send("STLS\r\n");
  EXPECT_EQ(c.ReadLine(), "+OK begin TLS negotiation\r\n");
  ASSERT_TRUE(c.StartTls());
  c.Send("USER alice\r\n");
  EXPECT_EQ(c.ReadLine(), "+OK\r\n");
  c.Send("PASS secret\r\n");
  EXPECT_EQ(c.ReadLine(), "+OK logged in\r\n");
  c.Send("STAT\r\n");
  EXPECT_EQ(c.ReadLine().substr(0, 5), "+OK 1");
  // Nothing of the refused logins reached the provider.
  int users = 0;
  for (const std::string& line : upstream.commands()) users += line.rfind("USER", 0) == 0;
  EXPECT_EQ(users, 1);
  EXPECT_FALSE(upstream.received("APOP alice 0123456789abcdef"));
}

}  // namespace
}  // namespace mailtee
