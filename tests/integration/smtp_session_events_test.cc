// Issue 13 item 14 through a real SMTP session: /metrics counts the session's
// events, never its log text, and log lines carry no raw control bytes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "admin/metrics.h"
#include "admin/proxy_log_metrics.h"
#include "archive/session_event.h"
#include "proxy/smtp/sasl.h"
#include "tests/integration/smtp_proxy_fixture.h"

namespace mailtee::smtp_testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class SmtpSessionEventsTest : public SmtpProxyFixture {};

// The login is the client's to choose: " result=ok" in it used to turn a
// failed AUTH into a success in mailtee_auth_total.
TEST_F(SmtpSessionEventsTest, FailedAuthWhoseLoginSaysResultOkCountsAsFailed) {
  StartWith({});
  admin::Metrics metrics;
  admin::ProxyLogMetrics counts(&metrics);
  const int id = harness_.log()->AddObserver(
      [&](archive::LogKind k, std::string_view l, const archive::SessionEvent* e) { counts.Observe(k, l, e); });
  {
    SmtpTestClient c(harness_.port());
    ASSERT_THAT(c.ReadReply(), StartsWith("220 "));
    c.Send("EHLO client.example\r\n");
    ASSERT_THAT(c.ReadReply(), StartsWith("250"));
    c.Send("AUTH PLAIN " + smtp::Base64Encode(std::string("\0x result=ok\0wrong", 18)) + "\r\n");
    EXPECT_THAT(c.ReadReply(), StartsWith("535 "));
    c.Send("QUIT\r\n");
    EXPECT_THAT(c.ReadReply(), StartsWith("221 "));
  }
  ASSERT_TRUE(upstream_->WaitFor([&] { return harness_.SessionCount() == 0; }));
  harness_.log()->RemoveObserver(id);
  const admin::MetricLabels labels{{"listener", "submission-test"}, {"protocol", "smtp"}};
  auto with = [&](const char* k, const char* v) {
    admin::MetricLabels l = labels;
    l.emplace_back(k, v);
    return l;
  };
  EXPECT_THAT(harness_.LogText("connections"), HasSubstr(" user=x result=ok mechanism=PLAIN result=535 "));
  EXPECT_EQ(metrics.GetCounter("mailtee_auth_total", "", with("result", "failed"))->value(), 1u);
  EXPECT_EQ(metrics.GetCounter("mailtee_auth_total", "", with("result", "ok"))->value(), 0u);
  EXPECT_EQ(metrics.GetCounter("mailtee_sessions_total", "", labels)->value(), 1u);
  EXPECT_EQ(metrics.GetCounter("mailtee_sessions_ended_total", "", with("result", "ok"))->value(), 1u);
}

// The transcript logs a command line before it is parsed: ESC and NUL in it
// reach the file escaped.
TEST_F(SmtpSessionEventsTest, ControlBytesInATranscriptLineAreEscaped) {
  harness_.transcripts = true;
  StartWith({});
  SmtpTestClient c(harness_.port());
  ASSERT_THAT(c.ReadReply(), StartsWith("220 "));
  c.Send(std::string("NOOP \x1b]0;owned\x07\0x\r\n", 19));
  EXPECT_EQ(c.ReadReply(), "500 5.5.2 invalid character in command\r\n");
  c.Send("QUIT\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("221 "));
  const std::string transcript = harness_.LogText("transcript");
  EXPECT_THAT(transcript, HasSubstr("C> NOOP \\x1b]0;owned\\x07\\x00x\n"));
  EXPECT_THAT(transcript, Not(HasSubstr("\x1b")));
  EXPECT_EQ(transcript.find('\0'), std::string::npos);
}

}  // namespace
}  // namespace mailtee::smtp_testing
