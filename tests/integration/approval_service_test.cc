// ApprovalService end to end against a scripted provider: a message screened
// and held (durably, before the client reply), requests and the held notice
// sent, approval by token relays the original, replay/forgery refused and
// logged, mail commands, expiry, and a restart that resumes pending holds.
#include "proxy/approval/approval_service.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <uv.h>

#include <chrono>
#include <filesystem>
#include <thread>
#include <fstream>
#include <sstream>

#include "proxy/smtp/sasl.h"
#include "tests/integration/fake_smtp_upstream.h"

namespace mailtee::approval {
namespace {

using smtp_testing::FakeSmtpUpstream;

const char kOriginal[] =
    "From: taro@company.example\r\nTo: tanaka@customer.example\r\nSubject: =?UTF-8?B?44GK6KaL56mN44KK?=\r\n"
    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n.dot line\r\nbody\r\n";

std::string Slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The decoded text part of a notice as the provider received it.
std::string TextOf(const FakeSmtpUpstream::Message& m) {
  const std::string marker = "Content-Transfer-Encoding: base64\r\n\r\n";
  size_t b = m.data.find(marker);
  if (b == std::string::npos) return "";
  b += marker.size();
  const size_t e = m.data.find("--=_mailtee_", b);
  std::string b64;
  for (char c : m.data.substr(b, e - b)) {
    if (c != '\r' && c != '\n') b64 += c;
  }
  return smtp::Base64Decode(b64).value_or("");
}

// "approve <token>" / "reject <token>" from the mailto: lines of a request.
std::string TokenIn(const std::string& text, const std::string& verb) {
  const std::string key = "subject=" + verb + "%20";
  const size_t at = text.find(key);
  if (at == std::string::npos) return "";
  const size_t start = at + key.size();
  return text.substr(start, text.find_first_of("\r\n ", start) - start);
}

class ApprovalServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    std::string tmpl = ::testing::TempDir() + "/approval_svc_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    config_.enabled = true;
    config_.address = "approval@mailtee.local";
    config_.secret_file = dir_ + "/approval.key";
    config_.public_url = "https://mailtee.test:8443";
    config_.internal_domains = {"company.example"};
    Rule r;
    r.sender = "*@company.example";
    r.when = When::kExternal;
    r.approvers = {"bucho@company.example", "kacho@company.example"};
    r.line = 3;
    config_.rules = {r};
    config_.relay_accounts = {RelayAccount{"*", "alice@example.org", "secret", 5}};
    log_ = std::make_unique<ApprovalLog>(dir_ + "/logs", 30, false, [this] { return now_; });
    ASSERT_TRUE(log_->Open().ok());
  }
  void TearDown() override {
    service_.reset();
    // Bounded by time, not iterations: on a loaded machine thread-pool work and
    // closing handles can take longer than a fixed number of loop turns.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (uv_loop_alive(&loop_) && std::chrono::steady_clock::now() < deadline) {
      uv_run(&loop_, UV_RUN_NOWAIT);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_EQ(uv_loop_close(&loop_), 0);
    std::filesystem::remove_all(dir_);
  }

  void StartService(uint16_t port) {
    ServiceOptions o;
    o.loop = &loop_;
    o.config = &config_;
    o.storage_dir = dir_ + "/storage";
    o.relay.host = "127.0.0.1";
    o.relay.port = port;
    o.relay.timeout_seconds = 5;
    o.log = log_.get();
    o.clock = [this] { return now_; };
    o.sweep_interval_ms = 3600 * 1000;  // tests call Sweep() themselves
    o.on_final = [this](const HeldMessage& h) { finals_.push_back(h.id + ":" + ToString(h.state)); };
    std::filesystem::create_directories(o.storage_dir);
    ASSERT_TRUE(ApprovalService::Create(o, &service_).ok());
    service_->Start();
  }

  bool RunUntil(const std::function<bool()>& pred) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!pred()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      uv_run(&loop_, UV_RUN_NOWAIT);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
  }

  // What the SMTP session does for one message (hold_gate.h D1-D6).
  std::string HoldOne(const std::string& id, std::vector<std::string> rcpts = {"tanaka@customer.example"},
                      const std::string& login = "taro@company.example") {
    smtp::HoldEnvelope env{"submission", login, "192.0.2.10", login, rcpts};
    std::unique_ptr<smtp::HoldScreen> screen = service_->Screen(env);
    EXPECT_NE(screen, nullptr);
    if (!screen) return "";
    EXPECT_TRUE(screen->held_regardless_of_content());
    const std::string msg = kOriginal;
    EXPECT_TRUE(screen->Append(msg.substr(0, 40)).ok());
    EXPECT_TRUE(screen->Append(msg.substr(40)).ok());
    EXPECT_TRUE(screen->ShouldHold());
    EXPECT_TRUE(screen->Persist(id).ok());
    screen->Announce();
    return screen->ClientReply();
  }

  std::vector<FakeSmtpUpstream::Message> To(FakeSmtpUpstream& up, const std::string& rcpt) {
    std::vector<FakeSmtpUpstream::Message> out;
    for (auto& m : up.messages()) {
      if (m.complete && std::find(m.recipients.begin(), m.recipients.end(), rcpt) != m.recipients.end()) out.push_back(m);
    }
    return out;
  }

  uv_loop_t loop_;
  std::string dir_;
  ApprovalConfig config_;
  std::chrono::system_clock::time_point now_ = std::chrono::system_clock::now();
  std::unique_ptr<ApprovalLog> log_;
  std::unique_ptr<ApprovalService> service_;
  std::vector<std::string> finals_;
};

TEST_F(ApprovalServiceTest, HoldRequestApproveRelayAndRefuseReplay) {
  FakeSmtpUpstream up({});
  StartService(up.port());
  EXPECT_TRUE(service_->IsApprovalAddress("<Approval@Mailtee.Local>"));
  EXPECT_FALSE(service_->IsApprovalAddress("bucho@company.example"));
  // Internal-only mail is not even screened.
  EXPECT_EQ(service_->Screen({"submission", "", "", "taro@company.example", {"x@company.example"}}), nullptr);

  EXPECT_EQ(HoldOne("id-1"), "250 2.0.0 held for approval id-1");
  // Durable before the client hears 250: the record and the copy exist now.
  HeldMessage h;
  bool found = false;
  ASSERT_TRUE(service_->queue()->Get("id-1", &h, &found).ok());
  ASSERT_TRUE(found);
  EXPECT_EQ(h.state, HoldState::kPending);
  EXPECT_EQ(h.subject, "お見積り");
  EXPECT_EQ(Slurp(service_->queue()->MessagePath("id-1")), kOriginal);

  ASSERT_TRUE(RunUntil([&] { return up.messages().size() == 3; }));  // 2 requests + held notice
  auto bucho = To(up, "bucho@company.example");
  ASSERT_EQ(bucho.size(), 1u);
  EXPECT_NE(bucho[0].data.find("Content-Type: message/rfc822"), std::string::npos);
  EXPECT_NE(bucho[0].data.find("\r\n..dot line\r\n"), std::string::npos);  // original attached, dot-stuffed on the wire
  ASSERT_EQ(To(up, "taro@company.example").size(), 1u);
  const std::string approve = TokenIn(TextOf(bucho[0]), "approve");
  ASSERT_FALSE(approve.empty());

  ActionResult peek = service_->PeekToken(approve);
  ASSERT_TRUE(peek.status.ok()) << peek.status.message();
  EXPECT_EQ(peek.message, "approve id-1 as bucho@company.example");

  ActionResult r = service_->ActWithToken(approve, "192.0.2.7", "web", "", "");
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.held.state, HoldState::kApproved);
  ASSERT_TRUE(RunUntil([&] { return To(up, "tanaka@customer.example").size() == 1; }));
  EXPECT_EQ(To(up, "tanaka@customer.example")[0].data, std::string(kOriginal).replace(std::string(kOriginal).find(".dot"), 1, ".."));
  ASSERT_TRUE(RunUntil([&] {
    HeldMessage now;
    bool f;
    return service_->queue()->Get("id-1", &now, &f).ok() && now.state == HoldState::kRelayed && now.outcome_notified;
  }));
  ASSERT_TRUE(RunUntil([&] { return To(up, "taro@company.example").size() == 2 && To(up, "kacho@company.example").size() == 2; }));
  EXPECT_EQ(finals_, std::vector<std::string>{"id-1:relayed"});

  ActionResult replay = service_->ActWithToken(approve, "192.0.2.99", "web", "", "");
  EXPECT_FALSE(replay.status.ok());
  EXPECT_NE(replay.status.message().find("already used"), std::string::npos) << replay.status.message();
  EXPECT_FALSE(service_->PeekToken(approve).status.ok());
  std::string forged = approve;
  forged[5] = forged[5] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(service_->ActWithToken(forged, "192.0.2.66", "web", "", "").status.ok());

  const std::string log = Slurp(log_->PathFor(now_));
  EXPECT_NE(log.find(" held id=id-1 by=taro@company.example ip=192.0.2.10 via=smtp"), std::string::npos) << log;
  EXPECT_NE(log.find(" approve id=id-1 by=bucho@company.example ip=192.0.2.7 via=web from=taro@company.example "
                     "to=tanaka@customer.example subject=\"お見積り\""),
            std::string::npos)
      << log;
  EXPECT_NE(log.find(" relayed id=id-1 by=mailtee"), std::string::npos) << log;
  EXPECT_NE(log.find(" refused id=id-1 by=bucho@company.example ip=192.0.2.99 via=web"), std::string::npos) << log;
  EXPECT_NE(log.find("ip=192.0.2.66 via=web reason=\"token signature mismatch"), std::string::npos) << log;
}

TEST_F(ApprovalServiceTest, MailCommandsNeedTheApproversOwnLogin) {
  FakeSmtpUpstream up({});
  StartService(up.port());
  HoldOne("id-2");
  ASSERT_TRUE(RunUntil([&] { return up.messages().size() == 3; }));
  const std::string text = TextOf(To(up, "kacho@company.example")[0]);
  const std::string reject = TokenIn(text, "reject");
  const std::string approve = TokenIn(text, "approve");
  const std::string command = "Subject: reject " + reject + " 宛先を確認してください\r\n\r\n";
  smtp::HoldEnvelope bucho{"submission", "bucho@company.example", "192.0.2.5", "bucho@company.example",
                           {"approval@mailtee.local"}};
  smtp::HoldEnvelope kacho = bucho;
  kacho.login = "kacho@company.example";
  smtp::HoldEnvelope anonymous = bucho;
  anonymous.login = "";
  EXPECT_EQ(service_->HandleMailCommand(anonymous, command).substr(0, 4), "530 ");
  const std::string wrong = service_->HandleMailCommand(bucho, command);
  EXPECT_EQ(wrong.substr(0, 4), "550 ") << wrong;
  EXPECT_NE(wrong.find("belongs to kacho@company.example"), std::string::npos) << wrong;
  EXPECT_EQ(service_->HandleMailCommand(kacho, "Subject: reject " + approve + "\r\n\r\n").substr(0, 4), "550 ");
  EXPECT_EQ(service_->HandleMailCommand(kacho, command), "250 2.0.0 rejected id-2");
  HeldMessage h;
  bool found;
  ASSERT_TRUE(service_->queue()->Get("id-2", &h, &found).ok());
  EXPECT_EQ(h.state, HoldState::kRejected);
  EXPECT_EQ(h.decisions.back().reason, "宛先を確認してください");
  ASSERT_TRUE(RunUntil([&] { return To(up, "taro@company.example").size() == 2; }));  // held + rejected
  EXPECT_NE(TextOf(To(up, "taro@company.example")[1]).find("宛先を確認してください"), std::string::npos);
  EXPECT_TRUE(To(up, "tanaka@customer.example").empty());

  EXPECT_EQ(service_->HandleMailCommand(bucho, "Subject: setproxy jicho@company.example until 2099-12-31\r\n\r\n"),
            "250 2.0.0 jicho@company.example now approves for you until 2099-12-31");
  HoldOne("id-3");
  ASSERT_TRUE(RunUntil([&] { return To(up, "jicho@company.example").size() == 1; }));  // the proxy gets bucho's request
  smtp::HoldEnvelope jicho = bucho;
  jicho.login = "jicho@company.example";
  const std::string waitlist = service_->HandleMailCommand(jicho, "Subject: waitlist\r\n\r\n");
  EXPECT_EQ(waitlist, "250 2.0.0 waitlist (1 pending) sent to jicho@company.example");
  ASSERT_TRUE(RunUntil([&] { return To(up, "jicho@company.example").size() == 2; }));
  const std::string proxy_approve = TokenIn(TextOf(To(up, "jicho@company.example")[1]), "approve");
  EXPECT_EQ(service_->HandleMailCommand(jicho, "Subject: Re: approve " + proxy_approve + "\r\n\r\n"),
            "250 2.0.0 approved id-3");
  ASSERT_TRUE(service_->queue()->Get("id-3", &h, &found).ok());
  EXPECT_EQ(h.decisions.back().on_behalf_of, "bucho@company.example");
  EXPECT_EQ(service_->HandleMailCommand(bucho, "Subject: history 1\r\n\r\n"),
            "250 2.0.0 history (1 decisions) sent to bucho@company.example");
}

// Separation of duties by mail command: 550 with the reason, a "refused" log line, nothing decided.
TEST_F(ApprovalServiceTest, AnApproverCannotDecideOnTheirOwnMessage) {
  FakeSmtpUpstream up({});
  config_.rules[0].quorum = 2;  // with bucho out, kacho alone cannot reach it: the held line says so
  StartService(up.port());
  HoldOne("id-10", {"tanaka@customer.example"}, "bucho@company.example");  // bucho is an approver of the rule
  // The other approver gets the request; bucho only the held notice.
  ASSERT_TRUE(RunUntil([&] { return To(up, "kacho@company.example").size() == 1 && To(up, "bucho@company.example").size() == 1; }));
  EXPECT_EQ(TokenIn(TextOf(To(up, "bucho@company.example")[0]), "approve"), "");
  HeldMessage h;
  bool found = false;
  ASSERT_TRUE(service_->queue()->Get("id-10", &h, &found).ok());
  const std::string own = service_->signer().Issue({"id-10", "bucho@company.example", TokenAction::kApprove, h.expires_at});
  smtp::HoldEnvelope bucho{"submission", "bucho@company.example", "192.0.2.5", "bucho@company.example",
                           {"approval@mailtee.local"}};
  EXPECT_EQ(service_->HandleMailCommand(bucho, "Subject: approve " + own + "\r\n\r\n"),
            "550 5.7.1 bucho@company.example sent id-10 and cannot decide on their own message");
  ASSERT_TRUE(service_->queue()->Get("id-10", &h, &found).ok());
  EXPECT_EQ(h.state, HoldState::kPending);
  EXPECT_TRUE(h.decisions.empty());
  const std::string log = Slurp(log_->PathFor(now_));
  EXPECT_NE(log.find(" refused id=id-10 by=bucho@company.example ip=192.0.2.5 via=mail"), std::string::npos) << log;
  EXPECT_NE(log.find("cannot decide on their own message"), std::string::npos) << log;
  EXPECT_NE(log.find("quorum 2 cannot be reached without escalation"), std::string::npos) << log;
}

TEST_F(ApprovalServiceTest, ADelegationToTheSenderDoesNotLetTheSenderDecide) {
  FakeSmtpUpstream up({});
  StartService(up.port());
  smtp::HoldEnvelope bucho{"submission", "bucho@company.example", "192.0.2.5", "bucho@company.example",
                           {"approval@mailtee.local"}};
  ASSERT_EQ(service_->HandleMailCommand(bucho, "Subject: setproxy taro@company.example\r\n\r\n"),
            "250 2.0.0 taro@company.example now approves for you");
  HoldOne("id-11");  // from taro, bucho's proxy
  // bucho's request goes to bucho himself: the delegation does not reach the proxy's own message.
  ASSERT_TRUE(RunUntil([&] { return up.messages().size() == 3; }));
  EXPECT_EQ(To(up, "bucho@company.example").size(), 1u);
  ASSERT_EQ(To(up, "taro@company.example").size(), 1u);
  EXPECT_EQ(TokenIn(TextOf(To(up, "taro@company.example")[0]), "approve"), "");  // only the held notice
  HeldMessage h;
  bool found = false;
  ASSERT_TRUE(service_->queue()->Get("id-11", &h, &found).ok());
  const std::string as_proxy = service_->signer().Issue({"id-11", "taro@company.example", TokenAction::kApprove, h.expires_at});
  smtp::HoldEnvelope taro = bucho;
  taro.login = taro.envelope_from = "taro@company.example";
  EXPECT_EQ(service_->HandleMailCommand(taro, "Subject: approve " + as_proxy + "\r\n\r\n"),
            "550 5.7.1 taro@company.example sent id-11 and cannot decide on their own message");
  ASSERT_TRUE(service_->queue()->Get("id-11", &h, &found).ok());
  EXPECT_EQ(h.state, HoldState::kPending);
  EXPECT_NE(Slurp(log_->PathFor(now_)).find(" refused id=id-11 by=taro@company.example"), std::string::npos);
  // The real approver still can.
  const std::string approve = TokenIn(TextOf(To(up, "bucho@company.example")[0]), "approve");
  EXPECT_EQ(service_->HandleMailCommand(bucho, "Subject: approve " + approve + "\r\n\r\n"), "250 2.0.0 approved id-11");
}

TEST_F(ApprovalServiceTest, ExpiryRejectsAndRestartKeepsPendingHolds) {
  FakeSmtpUpstream up({});
  StartService(up.port());
  HoldOne("id-4");
  HoldOne("id-5");
  ASSERT_TRUE(RunUntil([&] { return up.messages().size() == 6; }));
  service_->Stop();
  service_.reset();
  StartService(up.port());  // restart: both still pending, nothing sent again
  std::vector<HeldMessage> pending;
  const HoldState state = HoldState::kPending;
  ASSERT_TRUE(service_->queue()->List(&pending, &state).ok());
  EXPECT_EQ(pending.size(), 2u);
  smtp::HoldEnvelope taro{"submission", "taro@company.example", "192.0.2.10", "taro@company.example",
                          {"approval@mailtee.local"}};
  EXPECT_EQ(service_->HandleMailCommand(taro, "Subject: withdraw id-5\r\n\r\n"), "250 2.0.0 withdrew id-5");
  now_ += std::chrono::hours(config_.expire_hours + 1);
  service_->Sweep();
  HeldMessage h;
  bool found;
  ASSERT_TRUE(service_->queue()->Get("id-4", &h, &found).ok());
  EXPECT_EQ(h.state, HoldState::kExpired);
  ASSERT_TRUE(service_->queue()->Get("id-5", &h, &found).ok());
  EXPECT_EQ(h.state, HoldState::kWithdrawn);
  // expired: sender + approvers; withdrawn: approvers. Nothing reached the customer.
  ASSERT_TRUE(RunUntil([&] { return up.messages().size() == 9; }));
  EXPECT_TRUE(To(up, "tanaka@customer.example").empty());
}


TEST_F(ApprovalServiceTest, ContentRulesScreenTheBytesAndDiscardLeavesNothing) {
  FakeSmtpUpstream up({});
  config_.rules[0].when = When::kAttachment;
  StartService(up.port());
  smtp::HoldEnvelope env{"submission", "taro@company.example", "192.0.2.10", "taro@company.example",
                         {"tanaka@customer.example"}};
  // Plain text: screened (the rule depends on content), not held, copy removed.
  std::unique_ptr<smtp::HoldScreen> plain = service_->Screen(env);
  ASSERT_NE(plain, nullptr);
  EXPECT_FALSE(plain->held_regardless_of_content());
  ASSERT_TRUE(plain->Append(kOriginal).ok());
  EXPECT_FALSE(plain->ShouldHold());
  plain->Discard();
  plain.reset();
  // With an attachment: held, and the attachment name is in the record.
  const std::string with_pdf =
      "From: taro@company.example\r\nSubject: quote\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
      "--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"quote.pdf\"\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n";
  std::unique_ptr<smtp::HoldScreen> screen = service_->Screen(env);
  ASSERT_TRUE(screen->Append(with_pdf).ok());
  ASSERT_TRUE(screen->ShouldHold());
  ASSERT_TRUE(screen->Persist("id-6").ok());
  HeldMessage h;
  bool found;
  ASSERT_TRUE(service_->queue()->Get("id-6", &h, &found).ok());
  EXPECT_EQ(h.attachment_names, std::vector<std::string>{"quote.pdf"});
  EXPECT_EQ(h.reason, "attachment: quote.pdf");
  screen.reset();
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_ + "/storage/holds")) {
    ++files;
    EXPECT_EQ(e.path().filename(), "id-6.eml");
  }
  EXPECT_EQ(files, 1);
}

TEST_F(ApprovalServiceTest, EscalateOnceThenReject) {
  FakeSmtpUpstream up({});
  config_.on_expire = OnExpire::kEscalate;
  config_.escalate_to = {"shacho@company.example"};
  StartService(up.port());
  HoldOne("id-7");
  ASSERT_TRUE(RunUntil([&] { return up.messages().size() == 3; }));
  now_ += std::chrono::hours(config_.expire_hours + 1);
  service_->Sweep();
  HeldMessage h;
  bool found;
  ASSERT_TRUE(service_->queue()->Get("id-7", &h, &found).ok());
  EXPECT_EQ(h.state, HoldState::kPending);
  EXPECT_TRUE(h.escalated);
  EXPECT_EQ(h.approvers.back(), "shacho@company.example");
  ASSERT_TRUE(RunUntil([&] { return To(up, "shacho@company.example").size() == 1; }));
  const std::string approve = TokenIn(TextOf(To(up, "shacho@company.example")[0]), "approve");
  ASSERT_TRUE(service_->PeekToken(approve).status.ok());
  now_ += std::chrono::hours(config_.expire_hours + 1);
  service_->Sweep();
  ASSERT_TRUE(service_->queue()->Get("id-7", &h, &found).ok());
  EXPECT_EQ(h.state, HoldState::kExpired);
  EXPECT_FALSE(service_->ActWithToken(approve, "192.0.2.1", "web", "", "").status.ok());  // token expired too
  EXPECT_TRUE(To(up, "tanaka@customer.example").empty());
}

TEST_F(ApprovalServiceTest, ReleaseOnExpiryAndRelayRetriedAfterAFailure) {
  FakeSmtpUpstream::Options o;
  o.data_reply = "451 4.3.0 try later";
  auto failing = std::make_unique<FakeSmtpUpstream>(o);
  config_.on_expire = OnExpire::kRelease;
  StartService(failing->port());
  HoldOne("id-8");
  now_ += std::chrono::hours(config_.expire_hours + 1);
  service_->Sweep();
  ASSERT_TRUE(RunUntil([&] { return service_->relays_in_flight() == 0 && failing->messages().size() >= 4; }));
  HeldMessage h;
  bool found;
  ASSERT_TRUE(RunUntil([&] {
    return service_->queue()->Get("id-8", &h, &found).ok() && h.relay_attempts == 1 && !h.relay_result.empty();
  }));
  EXPECT_EQ(h.state, HoldState::kApproved);
  EXPECT_NE(h.relay_result.find("451"), std::string::npos) << h.relay_result;
  EXPECT_EQ(h.decisions.back().action, "release");
  // The provider recovers: the next sweep relays it.
  service_->Stop();
  service_.reset();
  FakeSmtpUpstream good({});
  StartService(good.port());  // Start() sweeps
  ASSERT_TRUE(RunUntil([&] { return To(good, "tanaka@customer.example").size() == 1; }));
  ASSERT_TRUE(RunUntil([&] {
    return service_->queue()->Get("id-8", &h, &found).ok() && h.state == HoldState::kRelayed && h.outcome_notified;
  }));
  EXPECT_EQ(h.relay_attempts, 2);
}


TEST_F(ApprovalServiceTest, FailedNoticesAreRetriedBySweepsThenDropped) {
  FakeSmtpUpstream::Options o;
  o.data_reply = "451 4.3.0 try later";
  FakeSmtpUpstream up(o);
  StartService(up.port());
  HoldOne("id-9");
  ASSERT_TRUE(RunUntil([&] { return service_->notices_waiting_for_retry() == 3; }));
  EXPECT_EQ(up.messages().size(), 3u);
  service_->Sweep();  // not due yet
  EXPECT_EQ(service_->notices_waiting_for_retry(), 3u);
  for (int attempt = 2; attempt <= 5; ++attempt) {
    now_ += std::chrono::minutes(30);
    service_->Sweep();
    EXPECT_EQ(service_->notices_waiting_for_retry(), 0u);
    ASSERT_TRUE(RunUntil([&] { return up.messages().size() == 3u * attempt; }));
    ASSERT_TRUE(RunUntil([&] { return service_->notices_waiting_for_retry() == (attempt < 5 ? 3u : 0u); }));
  }
  const std::string log = Slurp(log_->PathFor(now_ - std::chrono::hours(2)));
  EXPECT_NE(log.find("notice-failed id=id-9"), std::string::npos);
}

}  // namespace
}  // namespace mailtee::approval
