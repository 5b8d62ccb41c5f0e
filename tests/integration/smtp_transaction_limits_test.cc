// Issue 13 items 9, 10, 13: what a client may not slip past mailtee's command
// and transaction paths (scripted provider; each test failed before its fix).
//  9  BDAT outside a transaction is refused here (503, 530 before AUTH) and its
//     bytes are consumed, never relayed: this provider delivers whatever it gets.
//  10 BODY=BINARYMIME is refused (it would skip the bare LF/CR check).
//  13 the provider's SIZE is enforced when max-message-size is 0 (MAIL SIZE=,
//     DATA and BDAT bytes); at most max-recipients RCPTs per transaction.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/integration/fake_smtp_upstream.h"
#include "tests/integration/smtp_proxy_fixture.h"
#include "tests/integration/smtp_test_harness.h"

namespace mailtee::smtp_testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

bool AnyStartsWith(const std::vector<std::string>& lines, const std::string& prefix) {
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return l.rfind(prefix, 0) == 0; });
}

// A provider that offers SIZE 1000 and otherwise what FakeSmtpUpstream offers.
FakeSmtpUpstream::Options ProviderWithSize1000() {
  FakeSmtpUpstream::Options o;
  for (std::string& e : o.ehlo_extensions)
    if (e.rfind("SIZE", 0) == 0) e = "SIZE 1000";
  return o;
}

// MAIL alice, RCPT bob, DATA: both accepted and the provider's 354 relayed.
void OpenData(SmtpTestClient& c) {
  c.Send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  ASSERT_THAT(c.ReadReply(), StartsWith("354 "));
}

class SmtpTransactionLimitsTest : public SmtpProxyFixture {};

// Item 9: no MAIL yet. The chunk (bigger than the 256 KiB inbox and full of
// command-looking lines) is read and dropped; the next command is parsed.
TEST_F(SmtpTransactionLimitsTest, BdatBeforeMailIsRefusedAndNeverReachesTheProvider) {
  StartWith({});
  SmtpTestClient c(harness_.port());
  ASSERT_THAT(LoginAsAlice(c), HasSubstr("CHUNKING"));
  std::string chunk;
  while (chunk.size() < 300000) chunk += "RCPT TO:<mallory@example.net>\r\n";
  c.Send("BDAT " + std::to_string(chunk.size()) + " LAST\r\n");
  c.Send(chunk);
  c.Send("NOOP\r\n");
  EXPECT_EQ(c.ReadReply(), "503 5.5.1 need MAIL command\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));  // NOOP: a command again
  OpenData(c);
  c.Send("Subject: after\r\n\r\nok\r\n.\r\n");
  EXPECT_EQ(c.ReadReply(), "250 2.0.0 Ok: queued as FAKE1\r\n");
  EXPECT_FALSE(AnyStartsWith(upstream_->commands(), "BDAT"));
  EXPECT_FALSE(AnyStartsWith(upstream_->commands(), "RCPT TO:<mallory"));
  ASSERT_EQ(upstream_->messages().size(), 1u);
  EXPECT_EQ(upstream_->messages()[0].data, "Subject: after\r\n\r\nok\r\n");
  EXPECT_EQ(harness_.sink().records().size(), 1u);  // only the DATA message was captured
}

TEST_F(SmtpTransactionLimitsTest, BdatBeforeAuthGets530AndNothingIsRelayed) {
  StartWith({});
  SmtpTestClient c(harness_.port());
  ASSERT_THAT(c.ReadReply(), StartsWith("220 "));
  c.Send("EHLO client.example\r\n");
  ASSERT_THAT(c.ReadReply(), StartsWith("250"));
  c.Send("BDAT 12 LAST\r\nSubject: x\r\nBDAT 0 LAST\r\nNOOP\r\n");
  EXPECT_EQ(c.ReadReply(), "530 5.7.0 authentication required\r\n");
  EXPECT_EQ(c.ReadReply(), "530 5.7.0 authentication required\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  EXPECT_FALSE(AnyStartsWith(upstream_->commands(), "BDAT"));
  EXPECT_TRUE(upstream_->messages().empty());
}

// MAIL accepted but every recipient refused: still nothing of the chunk goes out.
TEST_F(SmtpTransactionLimitsTest, BdatWithoutAcceptedRecipientsIsRefusedHere) {
  FakeSmtpUpstream::Options o;
  o.rejected_recipients = {"nobody@example.net"};
  StartWith(o);
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  c.Send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<nobody@example.net>\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  EXPECT_THAT(c.ReadReply(), StartsWith("550 "));
  c.Send("BDAT 5 LAST\r\nhello");
  EXPECT_EQ(c.ReadReply(), "554 5.5.1 no valid recipients\r\n");
  EXPECT_FALSE(AnyStartsWith(upstream_->commands(), "BDAT"));
  EXPECT_TRUE(upstream_->messages().empty());
}

// A chunk declared bigger than the size limit would take that many bytes to skip.
TEST_F(SmtpTransactionLimitsTest, BdatChunkOverTheSizeLimitClosesTheSession) {
  StartWith(ProviderWithSize1000());
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  c.Send("BDAT 5000000000 LAST\r\n");
  std::string out = c.ReadUntilClose();
  EXPECT_THAT(out, StartsWith("552 5.3.4 BDAT chunk of 5000000000 bytes exceeds the maximum message size of 1000 "
                              "bytes\r\n421 4.7.0 "));
  EXPECT_THAT(out, HasSubstr(" closing connection\r\n"));
  EXPECT_FALSE(AnyStartsWith(upstream_->commands(), "BDAT"));
}

// Item 10.
TEST_F(SmtpTransactionLimitsTest, BinaryMimeIsRefused) {
  StartWith({});
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  c.Send("MAIL FROM:<alice@example.org> BODY=BINARYMIME\r\n");
  EXPECT_EQ(c.ReadReply(),
            "555 5.5.4 BODY=BINARYMIME is not offered here; send the message as 7BIT or 8BITMIME\r\n");
  EXPECT_FALSE(AnyStartsWith(upstream_->commands(), "MAIL"));
}

// Item 13, declared size: max-message-size="0" means the provider's SIZE.
TEST_F(SmtpTransactionLimitsTest, ProviderSizeRefusesALargerMailSize) {
  StartWith(ProviderWithSize1000());
  SmtpTestClient c(harness_.port());
  EXPECT_THAT(LoginAsAlice(c), HasSubstr("SIZE 1000\r\n"));
  c.Send("MAIL FROM:<alice@example.org> SIZE=2000\r\nMAIL FROM:<alice@example.org> SIZE=1000\r\n");
  EXPECT_EQ(c.ReadReply(), "552 5.3.4 message size exceeds fixed maximum message size of 1000 bytes\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  auto cmds = upstream_->commands();
  EXPECT_EQ(std::count_if(cmds.begin(), cmds.end(), [](const std::string& l) { return l.rfind("MAIL", 0) == 0; }), 1);
}

// Item 13, streamed DATA bytes: only cutting the provider's connection ends
// its DATA without the dot; nothing is archived.
TEST_F(SmtpTransactionLimitsTest, ProviderSizeStopsADataBodyOverIt) {
  StartWith(ProviderWithSize1000());
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  OpenData(c);
  std::string body = "Subject: big\r\n\r\n";
  while (body.size() < 2000) body += std::string(98, 'x') + "\r\n";
  c.Send(body + ".\r\n");
  EXPECT_EQ(c.ReadReply(), "552 5.3.4 message exceeds 1000 bytes\r\n");
  EXPECT_EQ(c.ReadReply(), "421 4.3.0 transaction aborted; please reconnect\r\n");
  ASSERT_TRUE(upstream_->WaitFor([&] { return upstream_->closed_connections() == 1; }));
  for (const auto& m : upstream_->messages()) EXPECT_FALSE(m.complete);
  auto recs = harness_.sink().records();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_TRUE(recs[0].aborted);
  EXPECT_FALSE(recs[0].committed);
  EXPECT_LE(recs[0].bytes.size(), 1000u);  // spooling stopped at the limit
}

// Item 13, streamed BDAT bytes: the chunk that would pass the limit is never
// announced upstream, so a silent RSET ends the provider's transaction and the
// session goes on.
TEST_F(SmtpTransactionLimitsTest, ProviderSizeStopsABdatMessageOverIt) {
  StartWith(ProviderWithSize1000());
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  c.Send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\n");
  c.ReadReply();
  c.ReadReply();
  const std::string part(600, 'y');
  c.Send("BDAT 600\r\n" + part + "BDAT 600 LAST\r\n" + part + "NOOP\r\n");
  EXPECT_EQ(c.ReadReply(), "250 2.0.0 600 octets received\r\n");
  EXPECT_EQ(c.ReadReply(), "552 5.3.4 message exceeds 1000 bytes\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));  // NOOP: the session goes on
  auto cmds = upstream_->commands();
  EXPECT_EQ(std::count_if(cmds.begin(), cmds.end(), [](const std::string& l) { return l.rfind("BDAT", 0) == 0; }), 1);
  EXPECT_TRUE(AnyStartsWith(cmds, "RSET"));
  for (const auto& m : upstream_->messages()) EXPECT_FALSE(m.complete);
  auto recs = harness_.sink().records();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_TRUE(recs[0].aborted);
  EXPECT_FALSE(recs[0].committed);
}

// Item 13, recipients: the default cap is 1000; the 1001st gets 452 and is
// not relayed; the message still goes to the first 1000.
TEST_F(SmtpTransactionLimitsTest, RecipientPastTheCapGets452) {
  StartWith({});
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  std::string envelope = "MAIL FROM:<alice@example.org>\r\n";
  for (int i = 1; i <= 1001; ++i) envelope += "RCPT TO:<r" + std::to_string(i) + "@example.net>\r\n";
  c.Send(envelope);
  ASSERT_THAT(c.ReadReply(), StartsWith("250 "));
  for (int i = 1; i <= 1000; ++i) ASSERT_THAT(c.ReadReply(), StartsWith("250 ")) << "recipient " << i;
  EXPECT_EQ(c.ReadReply(), "452 4.5.3 too many recipients\r\n");
  EXPECT_FALSE(AnyStartsWith(upstream_->commands(), "RCPT TO:<r1001@"));
  c.Send("DATA\r\n");
  ASSERT_THAT(c.ReadReply(), StartsWith("354 "));
  c.Send("Subject: many\r\n\r\nhi\r\n.\r\n");
  EXPECT_EQ(c.ReadReply(), "250 2.0.0 Ok: queued as FAKE1\r\n");
  ASSERT_EQ(upstream_->messages().size(), 1u);
  EXPECT_EQ(upstream_->messages()[0].recipients.size(), 1000u);
  ASSERT_EQ(harness_.sink().records().size(), 1u);
  EXPECT_EQ(harness_.sink().records()[0].context.envelope_to.size(), 1000u);
}

TEST_F(SmtpTransactionLimitsTest, RecipientCapFollowsTheListener) {
  StartWith({}, [](config::Listener& l) { l.max_recipients = 2; });
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  c.Send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<a@example.net>\r\nRCPT TO:<b@example.net>\r\n"
         "RCPT TO:<c@example.net>\r\nRSET\r\nMAIL FROM:<alice@example.org>\r\n");
  for (int i = 0; i < 3; ++i) EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  EXPECT_EQ(c.ReadReply(), "452 4.5.3 too many recipients\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));  // RSET
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));  // MAIL
  c.Send("RCPT TO:<c@example.net>\r\n");  // a new transaction counts from zero
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
}

}  // namespace
}  // namespace mailtee::smtp_testing
