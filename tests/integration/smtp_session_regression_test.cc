// SMTP session regressions found in review (scripted provider): each test
// failed before its fix. See docs/smtp.md for the behaviour they pin down.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <thread>

#include "proxy/smtp/sasl.h"
#include "tests/integration/fake_smtp_upstream.h"
#include "tests/integration/smtp_proxy_fixture.h"
#include "tests/integration/smtp_test_harness.h"

namespace mailtee::smtp_testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class SmtpRegressionTest : public SmtpProxyFixture {
 protected:
  static FakeSmtpUpstream::Options WithoutChunking() {
    FakeSmtpUpstream::Options o;
    o.ehlo_extensions.erase(std::remove(o.ehlo_extensions.begin(), o.ehlo_extensions.end(), "CHUNKING"),
                            o.ehlo_extensions.end());
    return o;
  }
};

// A refused "BDAT 0 LAST" used to reset the transaction locally while the
// provider kept MAIL/RCPT: the following DATA then streamed without a capture
// and the daemon crashed on a null Capture.
TEST_F(SmtpRegressionTest, RefusedBdatKeepsTransactionSoDataIsArchived) {
  StartWith(WithoutChunking());
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  c.Send("MAIL FROM:<alice@example.org>\r\n");
  ASSERT_THAT(c.ReadReply(), StartsWith("250 "));
  c.Send("RCPT TO:<bob@example.net>\r\n");
  ASSERT_THAT(c.ReadReply(), StartsWith("250 "));
  c.Send("BDAT 0 LAST\r\nDATA\r\n");
  EXPECT_EQ(c.ReadReply(), "502 5.5.1 BDAT not offered; use DATA\r\n");
  ASSERT_THAT(c.ReadReply(), StartsWith("354 "));
  c.Send("Subject: x\r\n\r\nbody\r\n.\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  auto recs = harness_.sink().records();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_TRUE(recs[0].committed);
  EXPECT_EQ(recs[0].bytes, "Subject: x\r\n\r\nbody\r\n");
}

// With the archive refusing the BDAT message, the provider must not keep a
// transaction we forgot about: DATA afterwards is never relayed uncaptured.
TEST_F(SmtpRegressionTest, ArchiveRefusedBdatThenDataNeverRelaysUncaptured) {
  StartWith({});
  harness_.sink().fail_begin = true;
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  c.Send("MAIL FROM:<alice@example.org>\r\n");
  ASSERT_THAT(c.ReadReply(), StartsWith("250 "));
  c.Send("RCPT TO:<bob@example.net>\r\n");
  ASSERT_THAT(c.ReadReply(), StartsWith("250 "));
  c.Send("BDAT 0 LAST\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("452 "));
  harness_.sink().fail_begin = false;
  c.Send("DATA\r\n");
  std::string reply = c.ReadReply();
  if (reply.rfind("354", 0) == 0) {
    c.Send("Subject: x\r\n\r\nbody\r\n.\r\n");
    c.ReadReply();
  }
  for (const auto& m : upstream_->messages())
    if (m.complete) {
      bool archived = false;
      for (const auto& r : harness_.sink().records()) archived |= r.committed;
      EXPECT_TRUE(archived) << "provider got a message the archive never recorded";
    }
}

}  // namespace
}  // namespace mailtee::smtp_testing

namespace mailtee::smtp_testing {
namespace {

// The local reply to an empty BDAT chunk sat in the queue until the client
// sent something else.
TEST_F(SmtpRegressionTest, LocalReplyToEmptyBdatIsSentPromptly) {
  StartWith(WithoutChunking());
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  c.Send("MAIL FROM:<alice@example.org>\r\n");
  ASSERT_THAT(c.ReadReply(), StartsWith("250 "));
  c.Send("BDAT 0 LAST\r\n");
  EXPECT_EQ(c.ReadReply(), "502 5.5.1 BDAT not offered; use DATA\r\n");
  c.Send("NOOP\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
}

}  // namespace
}  // namespace mailtee::smtp_testing

namespace mailtee::smtp_testing {
namespace {

// The dot went out and the provider hung up without a verdict: the provider
// may have the message, so the sealed copy is committed as "unknown", never
// deleted.
TEST_F(SmtpRegressionTest, ProviderLostAfterDotCommitsUnknownNotAbort) {
  FakeSmtpUpstream::Options opts;
  opts.close_after_dot = true;
  StartWith(opts);
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  c.Send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n");
  c.ReadReply();
  c.ReadReply();
  ASSERT_THAT(c.ReadReply(), StartsWith("354 "));
  c.Send("Subject: x\r\n\r\nbody\r\n.\r\n");
  EXPECT_THAT(c.ReadUntilClose(), StartsWith("421 4.4.1 provider connection lost"));
  ASSERT_TRUE(upstream_->WaitFor([&] {
    auto r = harness_.sink().records();
    return r.size() == 1 && (r[0].committed || r[0].aborted);
  }));
  auto recs = harness_.sink().records();
  EXPECT_TRUE(recs[0].committed);
  EXPECT_FALSE(recs[0].aborted);
  EXPECT_EQ(recs[0].outcome.kind, archive::Outcome::Kind::kUnknown);
  EXPECT_THAT(recs[0].outcome.reply, HasSubstr("verdict not received"));
}

TEST_F(SmtpRegressionTest, ProviderSilentAfterDotCommitsUnknownNotAbort) {
  FakeSmtpUpstream::Options opts;
  opts.data_reply_delay_ms = 3000;  // longer than the data_end timeout
  StartWith(opts, [](config::Listener& l) { l.timeouts.data_end = 1; });
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  c.Send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n");
  c.ReadReply();
  c.ReadReply();
  ASSERT_THAT(c.ReadReply(), StartsWith("354 "));
  c.Send("Subject: x\r\n\r\nbody\r\n.\r\n");
  EXPECT_THAT(c.ReadUntilClose(), StartsWith("451 4.4.2 "));
  ASSERT_TRUE(upstream_->WaitFor([&] {
    auto r = harness_.sink().records();
    return r.size() == 1 && (r[0].committed || r[0].aborted);
  }));
  auto recs = harness_.sink().records();
  EXPECT_TRUE(recs[0].committed);
  EXPECT_FALSE(recs[0].aborted);
  EXPECT_EQ(recs[0].outcome.kind, archive::Outcome::Kind::kUnknown);
}

// A client that asked for STARTTLS and then never handshakes used to keep the
// session (and a drain) alive forever.
TEST_F(SmtpRegressionTest, StalledClientStartTlsHandshakeTimesOut) {
  StartWith({}, [](config::Listener& l) {
    l.tls = config::TlsMode::kStartTls;
    l.timeouts.command = 1;
  });
  SmtpTestClient c(harness_.port());
  EXPECT_THAT(c.ReadReply(), StartsWith("220 "));
  c.Send("EHLO x\r\n");
  EXPECT_THAT(c.ReadReply(), HasSubstr("STARTTLS"));
  c.Send("STARTTLS\r\n");
  EXPECT_EQ(c.ReadReply(), "220 2.0.0 ready to start TLS\r\n");
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(c.ReadUntilClose(), "");  // no plaintext after the 220
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_TRUE(harness_.Drain(std::chrono::seconds(5)));
}

}  // namespace
}  // namespace mailtee::smtp_testing

namespace mailtee::smtp_testing {
namespace {

size_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return pages_resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// A flood of bare LFs behind a slow NOOP used to queue one local "500" per
// line with no limit (gigabytes in seconds, no AUTH needed).
TEST_F(SmtpRegressionTest, FloodBehindSlowProviderKeepsMemoryBounded) {
  FakeSmtpUpstream::Options opts;
  opts.noop_delay_ms = 3000;
  StartWith(opts);
  SmtpTestClient c(harness_.port());
  ASSERT_THAT(c.ReadReply(), StartsWith("220 "));
  size_t before = ResidentBytes();
  c.Send("NOOP\r\n");
  ASSERT_TRUE(upstream_->WaitFor([&] {
    for (const auto& cmd : upstream_->commands())
      if (cmd == "NOOP") return true;
    return false;
  }));
  c.Send(std::string(400000, '\n'));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // the provider is still on the NOOP
  size_t grown = ResidentBytes() > before ? ResidentBytes() - before : 0;
  EXPECT_LT(grown, size_t{32} << 20) << "pending replies grew without bound";
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  EXPECT_THAT(c.ReadReply(), StartsWith("500 "));
}

}  // namespace
}  // namespace mailtee::smtp_testing
