// <logs transcripts="true"/>: every protocol line in the transcript log, no
// body, and no credential for AUTH PLAIN, AUTH LOGIN or account mode.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "proxy/smtp/sasl.h"
#include "tests/integration/fake_smtp_upstream.h"
#include "tests/integration/smtp_proxy_fixture.h"
#include "tests/integration/smtp_test_harness.h"

namespace mailtee::smtp_testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kUser = "alice@example.org";
const std::string kPassword = "secret";

std::string PlainBlob() {
  std::string raw;
  raw += '\0';
  raw += kUser;
  raw += '\0';
  raw += kPassword;
  return smtp::Base64Encode(raw);
}

class SmtpTranscriptTest : public SmtpProxyFixture {
 protected:
  // Transcripts on for sessions started this way (OffByDefault starts the harness itself).
  void StartWith(FakeSmtpUpstream::Options opts, std::function<void(config::Listener&)> tweak = nullptr) {
    harness_.transcripts = true;
    SmtpProxyFixture::StartWith(std::move(opts), std::move(tweak));
  }
  void SendMessage(SmtpTestClient& c) {
    c.Send("MAIL FROM:<alice@example.org>\r\n");
    EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
    c.Send("RCPT TO:<bob@example.net>\r\n");
    EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
    c.Send("DATA\r\n");
    EXPECT_THAT(c.ReadReply(), StartsWith("354 "));
    c.Send("Subject: hi\r\n\r\nbody-text-not-for-transcripts\r\n.\r\n");
    EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
    c.Send("QUIT\r\n");
    EXPECT_THAT(c.ReadReply(), StartsWith("221 "));
    ASSERT_TRUE(upstream_->WaitFor([&] { return upstream_->closed_connections() >= 1; }));
  }
  // No log of any kind holds the password, in clear or base64, nor the PLAIN blob.
  void ExpectNoCredentials() {
    for (const char* kind : {"transcript", "connections", "received", "relayed", "failed", "system"}) {
      std::string text = harness_.LogText(kind);
      EXPECT_EQ(text.find(kPassword), std::string::npos) << kind << ":\n" << text;
      EXPECT_EQ(text.find(smtp::Base64Encode(kPassword)), std::string::npos) << kind << ":\n" << text;
      EXPECT_EQ(text.find(PlainBlob()), std::string::npos) << kind << ":\n" << text;
      EXPECT_EQ(text.find(PlainBlob().substr(0, 12)), std::string::npos) << kind << ":\n" << text;
    }
  }
  // An account-mode session (mailtee logs in itself), then the checks common to both mechanisms.
  void RunAccount(FakeSmtpUpstream::Options opts) {
    StartWith(std::move(opts), [](config::Listener& l) {
      l.auth.mode = config::AuthMode::kAccount;
      l.auth.user = kUser;
      l.auth.password = kPassword;
      l.allow.push_back(*config::Network::Parse("127.0.0.0/8"));
    });
    SmtpTestClient c(harness_.port());
    EXPECT_THAT(c.ReadReply(), StartsWith("220 "));
    c.Send("EHLO scanner\r\n");
    EXPECT_THAT(c.ReadReply(), StartsWith("250"));
    SendMessage(c);
    harness_.Stop();
    EXPECT_THAT(harness_.LogText("transcript"), HasSubstr("P< 235 "));
    ExpectNoCredentials();
  }
};

TEST_F(SmtpTranscriptTest, AuthPlainSessionIsTranscribedWithoutPasswordOrBody) {
  StartWith({});
  SmtpTestClient c(harness_.port());
  EXPECT_THAT(c.ReadReply(), StartsWith("220 "));
  c.Send("EHLO pc1.example\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250"));
  c.Send("AUTH PLAIN " + PlainBlob() + "\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("235 "));
  SendMessage(c);
  harness_.Stop();
  std::string t = harness_.LogText("transcript");
  EXPECT_THAT(t, HasSubstr("C> EHLO pc1.example"));
  EXPECT_THAT(t, HasSubstr("P> EHLO "));          // mailtee's own EHLO during setup
  EXPECT_THAT(t, HasSubstr("P< 220 fake.provider ESMTP ready"));
  EXPECT_THAT(t, HasSubstr("C> AUTH PLAIN ****"));
  EXPECT_THAT(t, HasSubstr("P> AUTH PLAIN ****"));
  EXPECT_THAT(t, HasSubstr("C< 235 2.7.0 Authentication successful"));
  EXPECT_THAT(t, HasSubstr("P> RCPT TO:<bob@example.net>"));
  EXPECT_THAT(t, HasSubstr("P> ."));
  EXPECT_THAT(t, HasSubstr("C< 250 2.0.0 Ok: queued as FAKE1"));
  EXPECT_THAT(t, HasSubstr("C> QUIT"));
  EXPECT_EQ(t.find("body-text-not-for-transcripts"), std::string::npos) << t;
  EXPECT_EQ(t.find("Subject: hi"), std::string::npos) << t;
  ExpectNoCredentials();
}

TEST_F(SmtpTranscriptTest, AuthLoginContinuationsAreMasked) {
  StartWith({});
  SmtpTestClient c(harness_.port());
  EXPECT_THAT(c.ReadReply(), StartsWith("220 "));
  c.Send("EHLO pc1.example\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250"));
  c.Send("AUTH LOGIN\r\n");
  EXPECT_EQ(c.ReadReply(), "334 VXNlcm5hbWU6\r\n");
  c.Send(smtp::Base64Encode(kUser) + "\r\n");
  EXPECT_EQ(c.ReadReply(), "334 UGFzc3dvcmQ6\r\n");
  c.Send(smtp::Base64Encode(kPassword) + "\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("235 "));
  SendMessage(c);
  harness_.Stop();
  std::string t = harness_.LogText("transcript");
  EXPECT_THAT(t, HasSubstr("C> AUTH LOGIN"));
  EXPECT_THAT(t, HasSubstr("C< 334 UGFzc3dvcmQ6"));
  EXPECT_THAT(t, HasSubstr("C> ****"));
  EXPECT_THAT(t, HasSubstr("P> ****"));
  ExpectNoCredentials();
}

TEST_F(SmtpTranscriptTest, AccountModePlainLoginIsMasked) {
  FakeSmtpUpstream::Options opts;
  RunAccount(opts);
  EXPECT_THAT(harness_.LogText("transcript"), HasSubstr("P> AUTH PLAIN ****"));
}

TEST_F(SmtpTranscriptTest, AccountModeLoginContinuationsAreMasked) {
  FakeSmtpUpstream::Options opts;
  opts.ehlo_extensions = {"PIPELINING", "AUTH LOGIN"};
  RunAccount(opts);
  std::string t = harness_.LogText("transcript");
  EXPECT_THAT(t, HasSubstr("P> AUTH LOGIN"));
  EXPECT_THAT(t, HasSubstr("P< 334 UGFzc3dvcmQ6"));
  EXPECT_THAT(t, HasSubstr("P> ****"));
}

TEST_F(SmtpTranscriptTest, OffByDefault) {
  upstream_ = std::make_unique<FakeSmtpUpstream>(FakeSmtpUpstream::Options{});
  harness_.Start(SmtpHarness::MakeListener(upstream_->port()));
  SmtpTestClient c(harness_.port());
  EXPECT_THAT(c.ReadReply(), StartsWith("220 "));
  c.Send("QUIT\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("221 "));
  harness_.Stop();
  EXPECT_EQ(harness_.LogText("transcript"), "");
}

}  // namespace
}  // namespace mailtee::smtp_testing
