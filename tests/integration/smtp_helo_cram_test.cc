// A provider that refuses EHLO (HELO fallback), and CRAM-MD5 relayed
// end to end: the challenge and response pass verbatim, and the login becomes
// the archive key only after the provider's 235.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "proxy/smtp/sasl.h"
#include "tests/integration/fake_smtp_upstream.h"
#include "tests/integration/smtp_proxy_fixture.h"
#include "tests/integration/smtp_test_harness.h"

namespace mailtee::smtp_testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class SmtpHeloCramTest : public SmtpProxyFixture {
 protected:
  bool UpstreamSaw(const std::string& line) {
    auto cmds = upstream_->commands();
    return std::find(cmds.begin(), cmds.end(), line) != cmds.end();
  }
};

void NoneMode(config::Listener& l) {
  l.auth.mode = config::AuthMode::kNone;
  l.allow.push_back(*config::Network::Parse("127.0.0.1/32"));
}

TEST_F(SmtpHeloCramTest, ProviderRefusingEhloGetsHeloAndTheSessionWorks) {
  FakeSmtpUpstream::Options opts;
  opts.refuse_ehlo = true;
  StartWith(opts, NoneMode);
  SmtpTestClient c(harness_.port());
  EXPECT_THAT(c.ReadReply(), StartsWith("220 "));  // setup fell back to HELO
  auto cmds = upstream_->commands();
  ASSERT_GE(cmds.size(), 2u);
  EXPECT_THAT(cmds[0], StartsWith("EHLO "));
  EXPECT_THAT(cmds[1], StartsWith("HELO "));
  // The client's own EHLO gets the provider's refusal verbatim; it falls back too.
  c.Send("EHLO printer\r\n");
  EXPECT_EQ(c.ReadReply(), "502 5.5.2 Error: command not recognized\r\n");
  c.Send("HELO printer\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  // No PIPELINING from a HELO server: mailtee sends one command at a time.
  c.Send("MAIL FROM:<printer@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  EXPECT_THAT(c.ReadReply(), StartsWith("354 "));
  c.Send("Subject: scan\r\n\r\nscan\r\n.\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  EXPECT_EQ(upstream_->pipelining_violations(), 0);
  auto recs = harness_.sink().records();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_TRUE(recs[0].committed);
}

TEST_F(SmtpHeloCramTest, EhloRefusedBeforeUpstreamStartTlsIsNotDowngraded) {
  FakeSmtpUpstream::Options opts;
  opts.refuse_ehlo = true;
  opts.starttls = harness_.server_tls();
  StartWith(opts, [](config::Listener& l) { l.upstream->tls = config::TlsMode::kStartTls; });
  SmtpTestClient c(harness_.port());
  EXPECT_THAT(c.ReadUntilClose(), StartsWith("421 4.4.1 provider 127.0.0.1:"));
  EXPECT_FALSE(UpstreamSaw("HELO " + upstream_->commands()[0].substr(5)));
}

TEST_F(SmtpHeloCramTest, AccountModeCannotLogInThroughHelo) {
  FakeSmtpUpstream::Options opts;
  opts.refuse_ehlo = true;
  StartWith(opts, [](config::Listener& l) {
    l.auth.mode = config::AuthMode::kAccount;
    l.auth.user = "alice@example.org";
    l.auth.password = "secret";
    l.allow.push_back(*config::Network::Parse("127.0.0.1/32"));
  });
  SmtpTestClient c(harness_.port());
  EXPECT_THAT(c.ReadUntilClose(), HasSubstr("refused EHLO, so mailtee cannot log in"));
}

// Greeting + EHLO; returns the EHLO reply.
std::string Hello(SmtpTestClient& c) {
  EXPECT_THAT(c.ReadReply(), StartsWith("220 "));
  c.Send("EHLO client.example\r\n");
  return c.ReadReply();
}

TEST_F(SmtpHeloCramTest, CramMd5PassesVerbatimAndLoginIsKeptOnlyAfter235) {
  StartWith({});
  SmtpTestClient c(harness_.port());
  EXPECT_THAT(Hello(c), HasSubstr("CRAM-MD5"));

  // First attempt: wrong password. The provider's 535 is relayed; no login is kept.
  c.Send("AUTH CRAM-MD5\r\n");
  std::string challenge_reply = c.ReadReply();
  ASSERT_THAT(challenge_reply, StartsWith("334 "));
  ASSERT_EQ(upstream_->cram_challenges().size(), 1u);
  const std::string first = upstream_->cram_challenges()[0];
  EXPECT_EQ(challenge_reply, "334 " + smtp::Base64Encode(first) + "\r\n");  // challenge verbatim
  std::string wrong = FakeSmtpUpstream::CramMd5Response("alice@example.org", "not-the-password", first);
  c.Send(wrong + "\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("535 "));
  EXPECT_TRUE(UpstreamSaw(wrong));  // response verbatim
  c.Send("MAIL FROM:<alice@example.org>\r\n");
  EXPECT_EQ(c.ReadReply(), "530 5.7.0 authentication required\r\n");

  // Second attempt: right password, a fresh challenge.
  c.Send("AUTH CRAM-MD5\r\n");
  challenge_reply = c.ReadReply();
  ASSERT_EQ(upstream_->cram_challenges().size(), 2u);
  const std::string second = upstream_->cram_challenges()[1];
  EXPECT_NE(first, second);
  EXPECT_EQ(challenge_reply, "334 " + smtp::Base64Encode(second) + "\r\n");
  std::string right = FakeSmtpUpstream::CramMd5Response("alice@example.org", "secret", second);
  c.Send(right + "\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("235 "));
  EXPECT_TRUE(UpstreamSaw(right));

  c.Send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  EXPECT_THAT(c.ReadReply(), StartsWith("354 "));
  c.Send("Subject: cram\r\n\r\nhello\r\n.\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  c.Send("QUIT\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("221 "));

  auto recs = harness_.sink().records();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].context.user, "alice@example.org");  // from the CRAM-MD5 response, after 235
  harness_.Stop();
  std::string conns = harness_.LogText("connections");
  EXPECT_THAT(conns, HasSubstr("mechanism=CRAM-MD5 result=535"));
  EXPECT_THAT(conns, HasSubstr("user=alice@example.org mechanism=CRAM-MD5 result=ok"));
}

TEST_F(SmtpHeloCramTest, CramMd5WithoutSuccessLeavesNoLogin) {
  StartWith({}, [](config::Listener& l) { l.auth.mode = config::AuthMode::kPassthrough; });
  SmtpTestClient c(harness_.port());
  Hello(c);
  c.Send("AUTH CRAM-MD5\r\n");
  ASSERT_THAT(c.ReadReply(), StartsWith("334 "));
  c.Send("*\r\n");  // the client cancels
  EXPECT_THAT(c.ReadReply(), StartsWith("5"));
  c.Send("MAIL FROM:<alice@example.org>\r\n");
  EXPECT_EQ(c.ReadReply(), "530 5.7.0 authentication required\r\n");
}

}  // namespace
}  // namespace mailtee::smtp_testing
