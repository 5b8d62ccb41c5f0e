// ApprovalService::DecideAsAdmin: the admin console's and the CLI socket's
// decisions, against a real hold queue on a temp storage dir. The relay target
// is a closed loopback port, so an approval's relay attempt fails; these tests
// look at the decision, the log line and that Advance ran.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "proxy/approval/approval_service.h"
#include "tests/unit/approval/approval_test_util.h"

namespace mailtee::approval {
namespace {

constexpr const char* kId = "20261124T100000Z-0123456789ab";
constexpr const char* kBucho = "bucho@company.example";
constexpr const char* kKacho = "kacho@company.example";

uint16_t ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

class DecideAsAdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    config_.enabled = true;
    config_.address = "approval@mailtee.local";
    config_.secret_file = dir_.path() + "/approval.key";
    Rule rule;
    rule.sender = "*@company.example";
    rule.when = When::kAlways;
    rule.approvers = {kBucho, kKacho};
    config_.rules = {rule};
    log_ = std::make_unique<ApprovalLog>(dir_.path() + "/logs", 30, false);
    ASSERT_TRUE(log_->Open().ok());
    ServiceOptions o;
    o.loop = &loop_;
    o.config = &config_;
    o.storage_dir = dir_.path();
    o.relay.host = "127.0.0.1";
    o.relay.port = ClosedPort();
    o.relay.timeout_seconds = 5;
    o.log = log_.get();
    o.sweep_interval_ms = 3600 * 1000;
    ASSERT_TRUE(ApprovalService::Create(o, &service_).ok());
    PutHold(kId, 2);
  }

  void TearDown() override {
    service_.reset();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (uv_loop_alive(&loop_) && std::chrono::steady_clock::now() < deadline) {
      uv_run(&loop_, UV_RUN_NOWAIT);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }

  void PutHold(const std::string& id, int quorum) {
    HeldMessage h;
    h.id = id;
    h.user = h.sender = "taro@company.example";
    h.recipients = {"tanaka@customer.example"};
    h.subject = "quote";
    h.approvers = {kBucho, kKacho};
    h.quorum = quorum;
    h.held_at = time(nullptr);
    h.expires_at = time(nullptr) + 3600;
    ASSERT_TRUE(service_->queue()->Put(h).ok());
    std::ofstream(service_->queue()->MessagePath(id), std::ios::binary) << "Subject: quote\r\n\r\nbody\r\n";
  }

  HeldMessage Hold(const std::string& id = kId) {
    HeldMessage h;
    bool found = false;
    EXPECT_TRUE(service_->queue()->Get(id, &h, &found).ok());
    EXPECT_TRUE(found);
    return h;
  }

  std::string LogText() {
    std::ifstream in(log_->PathFor(std::chrono::system_clock::now()));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  testing::TempDir dir_;
  uv_loop_t loop_{};
  ApprovalConfig config_;
  std::unique_ptr<ApprovalLog> log_;
  std::unique_ptr<ApprovalService> service_;
};

TEST_F(DecideAsAdminTest, AdminApprovesOnBehalfOfAnApproverAndQuorumCountsIt) {
  ActionResult r = service_->DecideAsAdmin(kId, "Kacho@Company.Example", "alice", true, "phoned", "192.0.2.9", "admin");
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.refusal, Refusal::kNone);
  EXPECT_EQ(r.message, std::string("approved ") + kId + " for " + kKacho + " (1 of 2 approvals)");
  HeldMessage h = Hold();
  EXPECT_EQ(h.state, HoldState::kPending);
  ASSERT_EQ(h.decisions.size(), 1u);
  EXPECT_EQ(h.decisions[0].approver, "admin:alice");
  EXPECT_EQ(h.decisions[0].on_behalf_of, kKacho);
  EXPECT_EQ(h.decisions[0].via, "admin");
  EXPECT_EQ(h.decisions[0].client_ip, "192.0.2.9");
  EXPECT_NE(LogText().find("approve id=" + std::string(kId) + " by=admin:alice for=" + kKacho), std::string::npos)
      << LogText();

  // The same approver cannot be counted twice, even by another admin.
  ActionResult again = service_->DecideAsAdmin(kId, kKacho, "bob", true, "", "192.0.2.9", "admin");
  EXPECT_FALSE(again.status.ok());
  EXPECT_EQ(again.refusal, Refusal::kNotPending);

  // Quorum 2 needs two people: alice deciding "as" the other approver too is refused and logged.
  ActionResult same_person = service_->DecideAsAdmin(kId, kBucho, "alice", true, "", "192.0.2.9", "admin");
  EXPECT_FALSE(same_person.status.ok());
  EXPECT_NE(same_person.status.message().find("alice has already approved " + std::string(kId)), std::string::npos)
      << same_person.status.message();
  EXPECT_EQ(Hold().state, HoldState::kPending);
  EXPECT_EQ(Hold().Approvals(), 1);
  EXPECT_NE(LogText().find("refused id=" + std::string(kId) + " by=admin:alice for=" + kBucho +
                           " ip=192.0.2.9 via=admin"),
            std::string::npos)
      << LogText();

  // The second approval, by another person, reaches quorum and Advance starts the relay.
  ActionResult second = service_->DecideAsAdmin(kId, kBucho, "bob", true, "", "192.0.2.9", "admin");
  ASSERT_TRUE(second.status.ok()) << second.status.message();
  EXPECT_EQ(second.held.state, HoldState::kApproved);
  EXPECT_EQ(second.held.relay_attempts, 1);
  EXPECT_EQ(service_->relays_in_flight(), 1);
}

TEST_F(DecideAsAdminTest, SeparationOfDutiesRefusalsAre403WithReasonsInBothLanguages) {
  // The console account "taro" is the sender taro@company.example.
  ActionResult own = service_->DecideAsAdmin(kId, kBucho, "taro", true, "", "192.0.2.9", "admin");
  EXPECT_EQ(own.refusal, Refusal::kSeparationOfDuties);
  EXPECT_EQ(own.reason_code, "own-message");
  EXPECT_EQ(own.status.message(), "taro sent " + std::string(kId) + " and cannot decide on their own message");
  EXPECT_EQ(own.reason_ja, "taro さんは " + std::string(kId) + " の差出人のため、自分のメールを承認・差し戻しできません");
  service_->DecideAsAdmin(kId, kKacho, "alice", true, "", "192.0.2.9", "admin");
  ActionResult twice = service_->DecideAsAdmin(kId, kBucho, "alice", true, "", "192.0.2.9", "admin");
  EXPECT_EQ(twice.refusal, Refusal::kSeparationOfDuties);
  EXPECT_EQ(twice.reason_code, "already-decided");
  EXPECT_EQ(Hold().decisions.size(), 1u);
}

TEST_F(DecideAsAdminTest, RejectionIsFinalAndNotifiedThroughAdvance) {
  ActionResult r = service_->DecideAsAdmin(kId, kBucho, "alice", false, "wrong customer", "192.0.2.9", "admin");
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.held.state, HoldState::kRejected);
  EXPECT_TRUE(Hold().outcome_notified);  // Advance sent the outcome notices
  EXPECT_NE(LogText().find("reject id=" + std::string(kId)), std::string::npos) << LogText();

  ActionResult late = service_->DecideAsAdmin(kId, kKacho, "alice", true, "", "192.0.2.9", "admin");
  EXPECT_EQ(late.refusal, Refusal::kNotPending);
  EXPECT_NE(late.status.message().find("already rejected"), std::string::npos) << late.status.message();
}

TEST_F(DecideAsAdminTest, CliActsAsTheApproverOrTheirActiveProxy) {
  ASSERT_TRUE(service_->queue()->SetDelegation(Delegation{kBucho, "kakari@company.example", 0}).ok());
  ActionResult r = service_->DecideAsAdmin(kId, "kakari@company.example", "", true, "", "", "cli");
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  HeldMessage h = Hold();
  ASSERT_EQ(h.decisions.size(), 1u);
  EXPECT_EQ(h.decisions[0].approver, "kakari@company.example");
  EXPECT_EQ(h.decisions[0].on_behalf_of, kBucho);
  EXPECT_EQ(h.decisions[0].via, "cli");

  ActionResult own = service_->DecideAsAdmin(kId, kKacho, "", true, "", "", "cli");
  ASSERT_TRUE(own.status.ok()) << own.status.message();
  EXPECT_EQ(Hold().decisions[1].approver, kKacho);
  EXPECT_EQ(Hold().decisions[1].on_behalf_of, "");
}

TEST_F(DecideAsAdminTest, RefusalsSayWhyLogAndChangeNothing) {
  ActionResult missing = service_->DecideAsAdmin("20261124T100000Z-ffffffffffff", kBucho, "alice", true, "", "", "admin");
  EXPECT_EQ(missing.refusal, Refusal::kNotFound);

  ActionResult stranger = service_->DecideAsAdmin(kId, "nobody@company.example", "alice", true, "", "192.0.2.9", "admin");
  EXPECT_FALSE(stranger.status.ok());
  EXPECT_EQ(stranger.refusal, Refusal::kNotAuthorized);
  EXPECT_NE(LogText().find("refused id=" + std::string(kId) + " by=admin:alice"), std::string::npos) << LogText();

  // A proxy whose delegation has ended is no longer entitled.
  ASSERT_TRUE(service_->queue()->SetDelegation(Delegation{kBucho, "kakari@company.example", 1}).ok());
  EXPECT_EQ(service_->DecideAsAdmin(kId, "kakari@company.example", "", true, "", "", "cli").refusal,
            Refusal::kNotAuthorized);
  EXPECT_EQ(service_->DecideAsAdmin(kId, "", "alice", true, "", "", "admin").refusal, Refusal::kNotAuthorized);
  EXPECT_TRUE(Hold().decisions.empty());
  EXPECT_EQ(Hold().state, HoldState::kPending);
}

}  // namespace
}  // namespace mailtee::approval
