// SMTP time limits that arriving bytes do not reset (issue 13 item 11,
// docs/smtp.md "Time limits"): the per-line deadline, the body's minimum
// average rate and the whole-session ceiling. Every idle timeout stays at the
// harness's 10 s, so only the new limits can end these sessions this fast.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "tests/integration/smtp_proxy_fixture.h"

namespace mailtee::smtp_testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

class SmtpTimeLimitsTest : public SmtpProxyFixture {
 protected:
  // Logged in, MAIL + RCPT accepted, DATA answered with 354.
  static void StartMessage(SmtpTestClient& c) {
    LoginAsAlice(c);
    c.Send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n");
    c.ReadReply();
    c.ReadReply();
    EXPECT_THAT(c.ReadReply(), StartsWith("354"));
  }
  // Body limits: data-block 1 s of slack, then 1 ms per byte at 1000 bytes/s.
  static void SlowBodyLimits(config::Listener& l) {
    l.timeouts.data_block = 1;
    l.timeouts.min_data_rate = 1000;
  }
};

// Sends bytes one at a time, gap apart, for at most `for_at_most`.
void Trickle(SmtpTestClient& c, const std::string& bytes, milliseconds gap, milliseconds for_at_most) {
  auto end = steady_clock::now() + for_at_most;
  for (char ch : bytes) {
    if (steady_clock::now() > end) return;
    c.Send(std::string(1, ch));
    std::this_thread::sleep_for(gap);
  }
}

TEST_F(SmtpTimeLimitsTest, CommandLineTrickledByteByByteIsCutAtTheLineDeadline) {
  StartWith({}, [](config::Listener& l) { l.timeouts.line_ms = 200; });
  SmtpTestClient c(harness_.port());
  EXPECT_THAT(c.ReadReply(), StartsWith("220 "));
  auto start = steady_clock::now();
  // Each byte comes well inside the 10 s idle timeout; the line never ends in time.
  Trickle(c, "NOOP this line is sent one byte every 30 ms\r\n", milliseconds(30), milliseconds(500));
  std::string reply = c.ReadUntilClose();
  EXPECT_LT(steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_THAT(reply, StartsWith("421 4.4.2 "));
  EXPECT_THAT(reply, HasSubstr("timeout (command line not completed within 200 ms)"));
  EXPECT_THAT(harness_.LogText("connections"),
              HasSubstr("reason=client timeout (command line not completed within 200 ms)"));
  for (const std::string& cmd : upstream_->commands()) EXPECT_THAT(cmd, ::testing::Not(StartsWith("NOOP")));
}

TEST_F(SmtpTimeLimitsTest, LinesSentWholeAreNotCutHoweverManyFollow) {
  StartWith({}, [](config::Listener& l) { l.timeouts.line_ms = 200; });
  SmtpTestClient c(harness_.port());
  EXPECT_THAT(c.ReadReply(), StartsWith("220 "));
  for (int i = 0; i < 8; ++i) {  // 8 x 50 ms: longer than the line deadline in all
    c.Send("NOOP\r\n");
    EXPECT_THAT(c.ReadReply(), StartsWith("250"));
    std::this_thread::sleep_for(milliseconds(50));
  }
  c.Send("QUIT\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("221"));
}

TEST_F(SmtpTimeLimitsTest, SessionCeilingClosesAnActiveSession) {
  StartWith({}, [](config::Listener& l) { l.timeouts.session_ms = 400; });
  SmtpTestClient c(harness_.port());
  EXPECT_THAT(c.ReadReply(), StartsWith("220 "));
  auto start = steady_clock::now();
  std::string last;
  // Busy the whole time: a command every 50 ms, each answered.
  while (steady_clock::now() - start < std::chrono::seconds(5)) {
    c.Send("NOOP\r\n");
    last = c.ReadReply();
    if (last.rfind("250", 0) != 0) break;
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_THAT(last, StartsWith("421 4.4.2 "));
  EXPECT_THAT(last, HasSubstr("timeout (session time limit of 400 ms reached)"));
  EXPECT_EQ(c.ReadUntilClose(), "");
  EXPECT_THAT(harness_.LogText("connections"),
              HasSubstr("reason=client timeout (session time limit of 400 ms reached)"));
}

TEST_F(SmtpTimeLimitsTest, MessageBodyBelowTheMinimumRateIsCutAndNotRelayed) {
  StartWith({}, SlowBodyLimits);
  SmtpTestClient c(harness_.port());
  StartMessage(c);
  auto start = steady_clock::now();
  // A byte every 40 ms re-arms the 1 s data-block idle timer every time.
  Trickle(c, std::string(100, 'x'), milliseconds(40), milliseconds(2500));
  std::string reply = c.ReadUntilClose();
  EXPECT_LT(steady_clock::now() - start, std::chrono::seconds(4));
  EXPECT_THAT(reply, StartsWith("421 4.4.2 "));
  EXPECT_THAT(reply, HasSubstr("message data slower than 1000 bytes/s on average"));
  ASSERT_TRUE(upstream_->WaitFor([&] { return upstream_->closed_connections() == 1; }));
  for (const auto& m : upstream_->messages()) EXPECT_FALSE(m.complete);
  ASSERT_EQ(harness_.sink().records().size(), 1u);
  EXPECT_TRUE(harness_.sink().records()[0].aborted);
}

TEST_F(SmtpTimeLimitsTest, MessageBodyAboveTheMinimumRateIsNotCut) {
  StartWith({}, SlowBodyLimits);
  SmtpTestClient c(harness_.port());
  StartMessage(c);
  // 1.5 s in all, longer than the 1 s slack, at about 4000 bytes/s.
  std::string line(198, 'y');
  line += "\r\n";
  for (int i = 0; i < 30; ++i) {
    c.Send(line);
    std::this_thread::sleep_for(milliseconds(50));
  }
  c.Send(".\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
}

}  // namespace
}  // namespace mailtee::smtp_testing
