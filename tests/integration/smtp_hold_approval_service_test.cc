// The SMTP session with the REAL ApprovalService (proxy/approval) as its
// HoldGate, against the scripted provider: a mail to an external recipient is
// held (hold record pending, copy on disk equal to the archived bytes, client
// told "held for approval <id>"), the provider never receives it, the approver
// gets a request; a mail to an internal recipient relays as before; and a mail
// command to the approval address is answered by the service, never relayed.
// The rules follow the login, not MAIL FROM (MAIL FROM:<> or another address
// cannot dodge them); without a login, a header From with a stricter rule
// than the envelope sender holds the message too.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "proxy/approval/approval_service.h"
#include "proxy/smtp/sasl.h"
#include "tests/integration/fake_smtp_upstream.h"
#include "tests/integration/smtp_proxy_fixture.h"
#include "tests/integration/smtp_test_harness.h"

namespace mailtee::smtp_testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// AUTH PLAIN for taro@company.example, a second account of the scripted provider.
std::string TaroPlain() { return std::string(1, '\0') + "taro@company.example" + std::string(1, '\0') + "taro-secret"; }

class SmtpHoldApprovalServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FakeSmtpUpstream::Options provider;
    provider.users["taro@company.example"] = "taro-secret";
    upstream_ = std::make_unique<FakeSmtpUpstream>(provider);
    std::string tmpl = ::testing::TempDir() + "/smtp_hold_svc_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    config_.enabled = true;
    config_.address = "approval@mailtee.local";
    config_.secret_file = dir_ + "/approval.key";
    config_.internal_domains = {"company.example"};
    approval::Rule r;
    r.sender = "*@company.example";
    r.when = approval::When::kExternal;
    r.approvers = {"bucho@company.example"};
    r.line = 3;
    config_.rules = {r};
    config_.relay_accounts = {approval::RelayAccount{"*", "alice@example.org", "secret", 5}};
    log_ = std::make_unique<approval::ApprovalLog>(dir_ + "/logs", 30, false);
    ASSERT_TRUE(log_->Open().ok());
    approval::ServiceOptions o;
    o.loop = harness_.loop();
    o.config = &config_;
    o.storage_dir = dir_ + "/storage";
    o.relay.host = "127.0.0.1";
    o.relay.port = upstream_->port();
    o.relay.timeout_seconds = 5;
    o.log = log_.get();
    o.sweep_interval_ms = 3600 * 1000;
    std::filesystem::create_directories(o.storage_dir);
    // The loop thread is not running yet: creating and starting here is safe.
    ASSERT_TRUE(approval::ApprovalService::Create(o, &service_).ok());
    service_->Start();
    harness_.hold_gate = service_.get();
    harness_.on_loop_stop = [this] { service_.reset(); };
    config::Listener listener = SmtpHarness::MakeListener(upstream_->port());
    Tweak(listener);
    harness_.Start(listener);
  }
  virtual void Tweak(config::Listener&) {}
  void TearDown() override {
    harness_.Stop();
    upstream_.reset();
    std::filesystem::remove_all(dir_);
  }
  bool Delivered(const std::string& rcpt) {
    for (const auto& m : upstream_->messages())
      if (m.complete && std::find(m.recipients.begin(), m.recipients.end(), rcpt) != m.recipients.end()) return true;
    return false;
  }

  approval::HeldMessage HeldRecord(const std::string& id) {
    approval::HeldMessage held;
    bool found = false;
    harness_.RunOnLoop([&] { EXPECT_TRUE(service_->queue()->Get(id, &held, &found).ok()); });
    EXPECT_TRUE(found) << id;
    return held;
  }
  // Greeting, EHLO and (not on account listeners) AUTH PLAIN as taro.
  void Greet(SmtpTestClient& c, bool login_as_taro) {
    EXPECT_THAT(c.ReadReply(), StartsWith("220 "));
    c.Send("EHLO client.example\r\n");
    EXPECT_THAT(c.ReadReply(), StartsWith("250"));
    if (!login_as_taro) return;
    c.Send("AUTH PLAIN " + smtp::Base64Encode(TaroPlain()) + "\r\n");
    EXPECT_THAT(c.ReadReply(), StartsWith("235 "));
  }
  // One message to the external tanaka@customer.example; returns the reply to the final dot.
  std::string SendExternal(SmtpTestClient& c, const std::string& mail_from, const std::string& message) {
    c.Send("MAIL FROM:<" + mail_from + ">\r\nRCPT TO:<tanaka@customer.example>\r\nDATA\r\n");
    EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
    EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
    EXPECT_THAT(c.ReadReply(), StartsWith("354 "));
    c.Send(message + ".\r\n");
    return c.ReadReply();
  }
  std::string SendAsTaro(const std::string& mail_from) {
    SmtpTestClient c(harness_.port());
    Greet(c, true);
    return SendExternal(c, mail_from, "From: nobody@elsewhere.example\r\nSubject: quote\r\n\r\nhello\r\n");
  }

  SmtpHarness harness_;
  std::unique_ptr<FakeSmtpUpstream> upstream_;
  std::string dir_;
  approval::ApprovalConfig config_;
  std::unique_ptr<approval::ApprovalLog> log_;
  std::unique_ptr<approval::ApprovalService> service_;
};

TEST_F(SmtpHoldApprovalServiceTest, ExternalMailIsHeldDurablyAndNeverRelayed) {
  SmtpTestClient c(harness_.port());
  Greet(c, true);
  const std::string body = "From: taro@company.example\r\nTo: tanaka@customer.example\r\nSubject: quote\r\n\r\nhello\r\n";
  std::string reply = SendExternal(c, "taro@company.example", body);
  ASSERT_THAT(reply, StartsWith("250 2.0.0 held for approval "));
  auto recs = harness_.sink().records();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].outcome.kind, archive::Outcome::Kind::kHeld);
  const std::string id = recs[0].id;
  EXPECT_EQ(reply, "250 2.0.0 held for approval " + id + "\r\n");
  // Durable before the reply: the record and the copy.
  approval::HeldMessage held;
  bool found = false;
  harness_.RunOnLoop([&] { EXPECT_TRUE(service_->queue()->Get(id, &held, &found).ok()); });
  ASSERT_TRUE(found);
  EXPECT_EQ(held.state, approval::HoldState::kPending);
  EXPECT_EQ(held.user, "taro@company.example");
  EXPECT_EQ(SmtpHarness::ReadFile(dir_ + "/storage/holds/" + id + ".eml"), body);
  // The approver's request goes out (relayed by the service), the held mail does not.
  for (int i = 0; i < 500 && !Delivered("bucho@company.example"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(Delivered("bucho@company.example"));
  EXPECT_FALSE(Delivered("tanaka@customer.example"));
  // The session's upstream never saw DATA for it; the session goes on.
  c.Send("NOOP\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
}

TEST_F(SmtpHoldApprovalServiceTest, InternalMailRelaysAsBefore) {
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  c.Send("MAIL FROM:<taro@company.example>\r\nRCPT TO:<hanako@company.example>\r\nDATA\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  ASSERT_THAT(c.ReadReply(), StartsWith("354 "));
  c.Send("Subject: lunch\r\n\r\nnoon?\r\n.\r\n");
  EXPECT_EQ(c.ReadReply(), "250 2.0.0 Ok: queued as FAKE1\r\n");
  EXPECT_TRUE(Delivered("hanako@company.example"));
  std::vector<approval::HeldMessage> all;
  harness_.RunOnLoop([&] { EXPECT_TRUE(service_->queue()->List(&all).ok()); });
  EXPECT_TRUE(all.empty());
}

TEST_F(SmtpHoldApprovalServiceTest, MailCommandIsAnsweredByTheServiceAndNeverRelayed) {
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  c.Send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<approval@mailtee.local>\r\nDATA\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  EXPECT_EQ(c.ReadReply(), "250 2.1.5 approval address\r\n");
  ASSERT_THAT(c.ReadReply(), StartsWith("354 "));
  c.Send("Subject: approve not-a-token\r\n\r\n.\r\n");
  std::string reply = c.ReadReply();
  // A forged token is refused by the service (550 5.7.1 or 501 5.5.4), never relayed.
  EXPECT_TRUE(reply.rfind("550 ", 0) == 0 || reply.rfind("501 ", 0) == 0) << reply;
  for (const std::string& line : upstream_->commands())
    EXPECT_NE(line, "RCPT TO:<approval@mailtee.local>");
  EXPECT_TRUE(harness_.sink().records().empty());
}

TEST_F(SmtpHoldApprovalServiceTest, ANullSenderDoesNotDodgeTheLoginsRule) {
  const std::string reply = SendAsTaro("");
  ASSERT_THAT(reply, StartsWith("250 2.0.0 held for approval ")) << reply;
  const approval::HeldMessage held = HeldRecord(reply.substr(28, reply.size() - 30));
  EXPECT_EQ(held.user, "taro@company.example");
  EXPECT_EQ(held.sender, "");
  EXPECT_FALSE(Delivered("tanaka@customer.example"));
  // The held notice goes to the login: MAIL FROM:<> has no mailbox.
  for (int i = 0; i < 500 && !Delivered("taro@company.example"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(Delivered("taro@company.example"));
}

TEST_F(SmtpHoldApprovalServiceTest, AnotherEnvelopeSenderDoesNotDodgeTheLoginsRule) {
  const std::string reply = SendAsTaro("other@elsewhere.example");
  ASSERT_THAT(reply, StartsWith("250 2.0.0 held for approval ")) << reply;
  const approval::HeldMessage held = HeldRecord(reply.substr(28, reply.size() - 30));
  EXPECT_EQ(held.user, "taro@company.example");
  EXPECT_EQ(held.sender, "other@elsewhere.example");  // released later with the envelope the client gave
  EXPECT_FALSE(Delivered("tanaka@customer.example"));
}

// auth mode="account": no login, so the envelope sender and the header From are both screened.
class SmtpHoldAccountListenerTest : public SmtpHoldApprovalServiceTest {
 protected:
  void Tweak(config::Listener& l) override {
    l.auth.mode = config::AuthMode::kAccount;
    l.auth.user = "alice@example.org";
    l.auth.password = "secret";
    l.allow.push_back(*config::Network::Parse("127.0.0.0/8"));
  }
};

TEST_F(SmtpHoldAccountListenerTest, AHeaderFromWithAHoldRuleIsHeldWhenTheEnvelopeSenderPasses) {
  SmtpTestClient c(harness_.port());
  Greet(c, false);
  const std::string reply = SendExternal(
      c, "scanner@lan.example", "From: Taro <taro@company.example>\r\nTo: tanaka@customer.example\r\nSubject: quote\r\n\r\nhello\r\n");
  ASSERT_THAT(reply, StartsWith("250 2.0.0 held for approval ")) << reply;
  const approval::HeldMessage held = HeldRecord(reply.substr(28, reply.size() - 30));
  EXPECT_EQ(held.user, "scanner@lan.example");
  EXPECT_THAT(held.reason, HasSubstr("(header From taro@company.example)"));
  EXPECT_FALSE(Delivered("tanaka@customer.example"));
}

TEST_F(SmtpHoldAccountListenerTest, MailWhoseSendersHaveNoRulePasses) {
  SmtpTestClient c(harness_.port());
  Greet(c, false);
  EXPECT_EQ(SendExternal(c, "scanner@lan.example", "From: scanner@lan.example\r\nSubject: scan\r\n\r\nscan\r\n"),
            "250 2.0.0 Ok: queued as FAKE1\r\n");
  EXPECT_TRUE(Delivered("tanaka@customer.example"));
}

}  // namespace
}  // namespace mailtee::smtp_testing
