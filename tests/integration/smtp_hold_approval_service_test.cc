// The SMTP session with the REAL ApprovalService (proxy/approval) as its
// HoldGate, against the scripted provider: a mail to an external recipient is
// held (hold record pending, copy on disk equal to the archived bytes, client
// told "held for approval <id>"), the provider never receives it, the approver
// gets a request; a mail to an internal recipient relays as before; and a mail
// command to the approval address is answered by the service, never relayed.
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

class SmtpHoldApprovalServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    upstream_ = std::make_unique<FakeSmtpUpstream>(FakeSmtpUpstream::Options{});
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
    harness_.Start(SmtpHarness::MakeListener(upstream_->port()));
  }
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

  SmtpHarness harness_;
  std::unique_ptr<FakeSmtpUpstream> upstream_;
  std::string dir_;
  approval::ApprovalConfig config_;
  std::unique_ptr<approval::ApprovalLog> log_;
  std::unique_ptr<approval::ApprovalService> service_;
};

TEST_F(SmtpHoldApprovalServiceTest, ExternalMailIsHeldDurablyAndNeverRelayed) {
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  c.Send("MAIL FROM:<taro@company.example>\r\nRCPT TO:<tanaka@customer.example>\r\nDATA\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  ASSERT_THAT(c.ReadReply(), StartsWith("354 "));
  const std::string body = "From: taro@company.example\r\nTo: tanaka@customer.example\r\nSubject: quote\r\n\r\nhello\r\n";
  c.Send(body + ".\r\n");
  std::string reply = c.ReadReply();
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
  EXPECT_EQ(held.user, "alice@example.org");
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

}  // namespace
}  // namespace mailtee::smtp_testing
