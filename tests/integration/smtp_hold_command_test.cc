// Approval address in the SMTP session (hold_gate.h R1, C1, C2) with a fake
// HoldGate and the scripted provider: the approval address is answered
// locally, mixing is refused, the command mail goes to HandleMailCommand
// (DATA and BDAT, size cap) and nothing of it ever reaches the provider.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "proxy/smtp/sasl.h"
#include "tests/integration/fake_smtp_upstream.h"
#include "tests/integration/smtp_hold_fake_gate.h"
#include "tests/integration/smtp_proxy_fixture.h"
#include "tests/integration/smtp_test_harness.h"

namespace mailtee::smtp_testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class SmtpHoldCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    upstream_ = std::make_unique<FakeSmtpUpstream>(FakeSmtpUpstream::Options{});
    harness_.hold_gate = &gate_;
    harness_.Start(SmtpHarness::MakeListener(upstream_->port()));
  }
  void TearDown() override {
    harness_.Stop();
    upstream_.reset();
  }
  // Nothing addressed to the approval address, and no message body, reached the provider.
  void ExpectNothingRelayed() {
    for (const std::string& line : upstream_->commands()) {
      EXPECT_THAT(line, ::testing::Not(HasSubstr("approval@mailtee.local"))) << line;
      EXPECT_NE(line, "DATA");
      EXPECT_THAT(line, ::testing::Not(StartsWith("BDAT")));
    }
    EXPECT_TRUE(upstream_->messages().empty());
    EXPECT_TRUE(harness_.sink().records().empty());
  }
  FakeHoldGate gate_;
  SmtpHarness harness_;
  std::unique_ptr<FakeSmtpUpstream> upstream_;
};

TEST_F(SmtpHoldCommandTest, CommandMailByDataIsHandedToTheGateAndNeverRelayed) {
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  c.Send("MAIL FROM:<alice@example.org>\r\n");
  ASSERT_THAT(c.ReadReply(), StartsWith("250 "));
  c.Send("RCPT TO:<approval@mailtee.local>\r\n");
  EXPECT_EQ(c.ReadReply(), "250 2.1.5 approval address\r\n");
  c.Send("DATA\r\n");
  ASSERT_THAT(c.ReadReply(), StartsWith("354 "));
  c.Send("Subject: approve tok.en\r\n\r\n..dotted\r\n.\r\n");
  EXPECT_EQ(c.ReadReply(), "250 2.0.0 command accepted\r\n");
  auto cmds = gate_.commands();
  ASSERT_EQ(cmds.size(), 1u);
  EXPECT_EQ(cmds[0].message, "Subject: approve tok.en\r\n\r\n.dotted\r\n");  // unstuffed
  EXPECT_EQ(cmds[0].envelope.login, "alice@example.org");
  EXPECT_EQ(cmds[0].envelope.envelope_from, "alice@example.org");
  EXPECT_EQ(cmds[0].envelope.recipients, std::vector<std::string>{"approval@mailtee.local"});
  EXPECT_EQ(cmds[0].envelope.listener, "submission-test");
  // The session goes on normally: a new transaction relays.
  c.Send("MAIL FROM:<pass@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  ASSERT_THAT(c.ReadReply(), StartsWith("354 "));
  c.Send("Subject: x\r\n\r\nhi\r\n.\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 2.0.0 Ok"));
  auto msgs = upstream_->messages();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].recipients, std::vector<std::string>{"bob@example.net"});
  for (const std::string& line : upstream_->commands())
    EXPECT_THAT(line, ::testing::Not(HasSubstr("approval@mailtee.local")));
  // The provider's open MAIL of the command transaction was reset before the next MAIL.
  auto lines = upstream_->commands();
  auto first_mail = std::find(lines.begin(), lines.end(), "MAIL FROM:<alice@example.org>");
  ASSERT_NE(first_mail, lines.end());
  EXPECT_EQ(*(first_mail + 1), "RSET");
}

TEST_F(SmtpHoldCommandTest, PipelinedCommandMailWorks) {
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  c.Send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<approval@mailtee.local>\r\nDATA\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  EXPECT_EQ(c.ReadReply(), "250 2.1.5 approval address\r\n");
  ASSERT_THAT(c.ReadReply(), StartsWith("354 "));
  c.Send("Subject: waitlist\r\n\r\n.\r\nNOOP\r\n");
  EXPECT_EQ(c.ReadReply(), "250 2.0.0 command accepted\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  EXPECT_EQ(gate_.commands().size(), 1u);
  ExpectNothingRelayed();
}

TEST_F(SmtpHoldCommandTest, ApprovalAddressFirstThenOtherRecipientIsRefused) {
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  c.Send("MAIL FROM:<alice@example.org>\r\n");
  ASSERT_THAT(c.ReadReply(), StartsWith("250 "));
  c.Send("RCPT TO:<approval@mailtee.local>\r\n");
  EXPECT_EQ(c.ReadReply(), "250 2.1.5 approval address\r\n");
  c.Send("RCPT TO:<bob@example.net>\r\n");
  EXPECT_EQ(c.ReadReply(), "550 5.7.1 the approval address must be the only recipient\r\n");
  c.Send("DATA\r\n");
  ASSERT_THAT(c.ReadReply(), StartsWith("354 "));
  c.Send("Subject: history\r\n\r\n.\r\n");
  EXPECT_EQ(c.ReadReply(), "250 2.0.0 command accepted\r\n");
  auto cmds = gate_.commands();
  ASSERT_EQ(cmds.size(), 1u);
  EXPECT_EQ(cmds[0].envelope.recipients, std::vector<std::string>{"approval@mailtee.local"});
  EXPECT_TRUE(upstream_->messages().empty());
  EXPECT_TRUE(harness_.sink().records().empty());
}

TEST_F(SmtpHoldCommandTest, OtherRecipientFirstThenApprovalAddressIsRefused) {
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  c.Send("MAIL FROM:<pass@example.org>\r\nRCPT TO:<bob@example.net>\r\nRCPT TO:<approval@mailtee.local>\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  EXPECT_EQ(c.ReadReply(), "550 5.7.1 the approval address must be the only recipient\r\n");
  c.Send("DATA\r\n");
  ASSERT_THAT(c.ReadReply(), StartsWith("354 "));
  c.Send("Subject: x\r\n\r\nhi\r\n.\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 2.0.0 Ok"));
  EXPECT_TRUE(gate_.commands().empty());
  auto msgs = upstream_->messages();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].recipients, std::vector<std::string>{"bob@example.net"});
  for (const std::string& line : upstream_->commands())
    EXPECT_THAT(line, ::testing::Not(HasSubstr("approval@mailtee.local")));
}

TEST_F(SmtpHoldCommandTest, ApprovalAddressWithoutMailIsRefused) {
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  c.Send("RCPT TO:<approval@mailtee.local>\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("503 "));
  ExpectNothingRelayed();
}

TEST_F(SmtpHoldCommandTest, CommandMailTooBigIsRefusedAndNotHandled) {
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  c.Send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<approval@mailtee.local>\r\nDATA\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  ASSERT_THAT(c.ReadReply(), StartsWith("354 "));
  std::string line(998, 'a');
  line += "\r\n";
  std::string body = "Subject: approve x\r\n\r\n";
  while (body.size() <= smtp::HoldGate::kMaxCommandMessageBytes) body += line;
  c.Send(body + ".\r\n");
  EXPECT_EQ(c.ReadReply(), "552 5.3.4 command mail too big\r\n");
  EXPECT_TRUE(gate_.commands().empty());
  c.Send("NOOP\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));  // the session goes on
  ExpectNothingRelayed();
}

TEST_F(SmtpHoldCommandTest, CommandMailWithBareLfIsRefusedAndNotHandled) {
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  c.Send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<approval@mailtee.local>\r\nDATA\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  ASSERT_THAT(c.ReadReply(), StartsWith("354 "));
  c.Send("Subject: approve x\n.\nRCPT TO:<x@y>\r\n.\r\n");
  EXPECT_EQ(c.ReadReply(), "550 5.6.11 bare LF/CR in message; use CRLF line endings\r\n");
  EXPECT_TRUE(gate_.commands().empty());
  ExpectNothingRelayed();
}

TEST_F(SmtpHoldCommandTest, CommandMailByBdatIsHandedToTheGate) {
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  c.Send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<approval@mailtee.local>\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  EXPECT_EQ(c.ReadReply(), "250 2.1.5 approval address\r\n");
  std::string part1 = "Subject: approve ";
  std::string part2 = "tok\r\n\r\n.\r\n";
  c.Send("BDAT " + std::to_string(part1.size()) + "\r\n" + part1 + "BDAT " + std::to_string(part2.size()) +
         " LAST\r\n" + part2);
  EXPECT_EQ(c.ReadReply(), "250 2.0.0 " + std::to_string(part1.size()) + " octets received\r\n");
  EXPECT_EQ(c.ReadReply(), "250 2.0.0 command accepted\r\n");
  auto cmds = gate_.commands();
  ASSERT_EQ(cmds.size(), 1u);
  EXPECT_EQ(cmds[0].message, part1 + part2);  // BDAT: no dot handling
  ExpectNothingRelayed();
}

TEST_F(SmtpHoldCommandTest, WithoutGateTheApprovalAddressIsRelayedAsAnyOther) {
  harness_.Stop();
  SmtpHarness plain;
  plain.Start(SmtpHarness::MakeListener(upstream_->port()));
  SmtpTestClient c(plain.port());
  LoginAsAlice(c);
  c.Send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<approval@mailtee.local>\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  EXPECT_EQ(c.ReadReply(), "250 2.1.5 Ok\r\n");  // the provider's reply
  EXPECT_TRUE(gate_.commands().empty());
}

}  // namespace
}  // namespace mailtee::smtp_testing
