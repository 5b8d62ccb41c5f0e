// Hold queue: persistence across reopen, quorum, single-use tokens (replay),
// state guards, delegation.
#include "proxy/approval/hold_queue.h"

#include <gtest/gtest.h>

#include "proxy/approval/separation_of_duties.h"

#include "tests/unit/approval/approval_test_util.h"

namespace mailtee::approval {
namespace {

HeldMessage Sample(const std::string& id, int64_t held_at = 1000) {
  HeldMessage h;
  h.id = id;
  h.user = "taro@company.example";
  h.sender = "taro@company.example";
  h.recipients = {"a@customer.example", "b@customer.example"};
  h.subject = "お見積り";
  h.attachment_names = {"見積書.pdf"};
  h.rule = "rule at line 3: sender *@company.example, when attachment";
  h.approvers = {"bucho@company.example", "kacho@company.example"};
  h.held_at = held_at;
  h.expires_at = held_at + 72 * 3600;
  return h;
}

// A queue in `dir` that holds `h`.
std::unique_ptr<HoldQueue> QueueWith(const testing::TempDir& dir, const HeldMessage& h) {
  std::unique_ptr<HoldQueue> q;
  EXPECT_TRUE(HoldQueue::Open(dir.path(), &q).ok());
  if (q) {
    EXPECT_TRUE(q->Put(h).ok());
  }
  return q;
}

Decision Approve(const std::string& who, const std::string& ip = "192.0.2.7") {
  return Decision{who, "", "approve", 2000, ip, "web", ""};
}

TEST(HoldQueueTest, SurvivesReopen) {
  testing::TempDir dir;
  {
    std::unique_ptr<HoldQueue> q;
    ASSERT_TRUE(HoldQueue::Open(dir.path(), &q).ok());
    ASSERT_TRUE(q->Put(Sample("id-2", 2000)).ok());
    ASSERT_TRUE(q->Put(Sample("id-1", 1000)).ok());
    ASSERT_TRUE(q->Decide("id-1", Approve("bucho@company.example"), "fp1", nullptr).ok());
    ASSERT_TRUE(q->SetDelegation({"bucho@company.example", "jicho@company.example", 5000}).ok());
  }
  std::unique_ptr<HoldQueue> q;
  ASSERT_TRUE(HoldQueue::Open(dir.path(), &q).ok());
  std::vector<HeldMessage> all;
  ASSERT_TRUE(q->List(&all).ok());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, "id-1");  // oldest first
  EXPECT_EQ(all[0].state, HoldState::kApproved);
  EXPECT_EQ(all[0].subject, "お見積り");
  ASSERT_EQ(all[0].decisions.size(), 1u);
  EXPECT_EQ(all[0].decisions[0].client_ip, "192.0.2.7");
  EXPECT_TRUE(q->TokenUsed("fp1"));
  HoldState pending = HoldState::kPending;
  ASSERT_TRUE(q->List(&all, &pending).ok());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].id, "id-2");
  Delegation d;
  bool found = false;
  ASSERT_TRUE(q->GetDelegation("Bucho@Company.Example", &d, &found).ok());
  ASSERT_TRUE(found);
  EXPECT_EQ(d.proxy, "jicho@company.example");
  EXPECT_EQ(q->MessagePath("id-2"), dir.path() + "/holds/id-2.eml");
}

TEST(HoldQueueTest, SecondOpenWhileOpenFailsWithLock) {
  testing::TempDir dir;
  std::unique_ptr<HoldQueue> a, b;
  ASSERT_TRUE(HoldQueue::Open(dir.path(), &a).ok());
  Status s = HoldQueue::Open(dir.path(), &b);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("lock"), std::string::npos) << s.message();
}

TEST(HoldQueueTest, ReplayedTokenIsRefused) {
  testing::TempDir dir;
  HeldMessage h = Sample("id-1");
  h.quorum = 2;
  std::unique_ptr<HoldQueue> q = QueueWith(dir, h);
  ASSERT_TRUE(q);
  ASSERT_TRUE(q->Decide("id-1", Approve("bucho@company.example"), "fp-a", nullptr).ok());
  Status replay = q->Decide("id-1", Approve("kacho@company.example"), "fp-a", nullptr);
  EXPECT_FALSE(replay.ok());
  EXPECT_NE(replay.message().find("already used"), std::string::npos);
  // The same approver twice with a different token: refused too.
  EXPECT_FALSE(q->Decide("id-1", Approve("bucho@company.example"), "fp-b", nullptr).ok());
  HeldMessage now;
  bool found;
  ASSERT_TRUE(q->Get("id-1", &now, &found).ok());
  EXPECT_EQ(now.state, HoldState::kPending);  // quorum 2, one approval
  ASSERT_TRUE(q->Decide("id-1", Approve("kacho@company.example"), "fp-c", &now).ok());
  EXPECT_EQ(now.state, HoldState::kApproved);
  EXPECT_EQ(now.Approvals(), 2);
}

TEST(HoldQueueTest, RejectWinsAndDecidedHoldsAreFinal) {
  testing::TempDir dir;
  std::unique_ptr<HoldQueue> q;
  ASSERT_TRUE(HoldQueue::Open(dir.path(), &q).ok());
  ASSERT_TRUE(q->Put(Sample("id-1")).ok());
  HeldMessage h;
  ASSERT_TRUE(q->Decide("id-1", Decision{"kacho@company.example", "", "reject", 3000, "", "mail", "宛先違い"}, "fp",
                        &h).ok());
  EXPECT_EQ(h.state, HoldState::kRejected);
  Status late = q->Decide("id-1", Approve("bucho@company.example"), "fp2", nullptr);
  EXPECT_FALSE(late.ok());
  EXPECT_NE(late.message().find("already rejected"), std::string::npos);
  EXPECT_FALSE(q->Decide("nope", Approve("bucho@company.example"), "", nullptr).ok());
}

TEST(HoldQueueTest, TransitionGuardsTheCurrentState) {
  testing::TempDir dir;
  std::unique_ptr<HoldQueue> q;
  ASSERT_TRUE(HoldQueue::Open(dir.path(), &q).ok());
  ASSERT_TRUE(q->Put(Sample("id-1")).ok());
  EXPECT_FALSE(q->Transition("id-1", HoldState::kApproved, HoldState::kRelayed, nullptr, "250 ok", nullptr).ok());
  Decision note{"mailtee", "", "expire", 9999, "", "timer", ""};
  HeldMessage h;
  ASSERT_TRUE(q->Transition("id-1", HoldState::kPending, HoldState::kExpired, &note, "", &h).ok());
  EXPECT_EQ(h.state, HoldState::kExpired);
  EXPECT_EQ(h.decisions.back().action, "expire");
}

TEST(HoldQueueTest, DelegatesMayDecideUntilTheirEndDate) {
  testing::TempDir dir;
  std::unique_ptr<HoldQueue> q;
  ASSERT_TRUE(HoldQueue::Open(dir.path(), &q).ok());
  HeldMessage h = Sample("id-1");
  std::string behalf;
  EXPECT_TRUE(q->Authorize(h, "Bucho@company.example", 100, &behalf).ok());
  EXPECT_EQ(behalf, "");
  EXPECT_FALSE(q->Authorize(h, "jicho@company.example", 100, &behalf).ok());
  ASSERT_TRUE(q->SetDelegation({"bucho@company.example", "jicho@company.example", 500}).ok());
  ASSERT_TRUE(q->Authorize(h, "jicho@company.example", 100, &behalf).ok());
  EXPECT_EQ(behalf, "bucho@company.example");
  EXPECT_FALSE(q->Authorize(h, "jicho@company.example", 500, &behalf).ok());  // ended
  ASSERT_TRUE(q->ClearDelegation("bucho@company.example").ok());
  EXPECT_FALSE(q->Authorize(h, "jicho@company.example", 100, &behalf).ok());
  EXPECT_FALSE(q->SetDelegation({"bucho@company.example", "bucho@company.example", 0}).ok());
  // A proxy's approval counts for the approver it stands in for: the approver cannot add a second one.
  ASSERT_TRUE(q->Put(h).ok());
  ASSERT_TRUE(q->Decide("id-1", Decision{"jicho@company.example", "bucho@company.example", "approve", 1, "", "web", ""},
                        "", nullptr).ok());
}

// Separation of duties is part of the decision itself, so every path obeys it.
TEST(HoldQueueTest, TheSenderCannotDecideOnTheirOwnMessage) {
  testing::TempDir dir;
  HeldMessage h = Sample("id-1");
  h.user = "bucho";  // a bare provider login; bucho is also an approver of the rule
  h.sender = "";     // MAIL FROM:<>
  std::unique_ptr<HoldQueue> q = QueueWith(dir, h);
  ASSERT_TRUE(q);
  DutyCheck duty;
  Status own = q->Decide("id-1", Approve("Bucho@Company.Example"), "fp", nullptr, &duty);
  EXPECT_FALSE(own.ok());
  EXPECT_EQ(duty.code, "own-message");
  EXPECT_EQ(own.message(), "bucho@company.example sent id-1 and cannot decide on their own message");
  EXPECT_NE(duty.ja.find("差出人"), std::string::npos);
  // Nor as a console admin whose account is the sender, nor for someone else's slot.
  duty = DutyCheck();
  EXPECT_FALSE(q->Decide("id-1", Decision{"admin:bucho", "kacho@company.example", "reject", 1, "", "admin", ""}, "",
                         nullptr, &duty).ok());
  EXPECT_EQ(duty.code, "own-message");
  // Nobody decides for the sender's own slot (the sender chose that proxy).
  duty = DutyCheck();
  EXPECT_FALSE(q->Decide("id-1", Decision{"jicho@company.example", "bucho@company.example", "approve", 1, "", "web", ""},
                         "", nullptr, &duty).ok());
  EXPECT_EQ(duty.code, "senders-slot");
  EXPECT_FALSE(q->TokenUsed("fp"));  // a refused token is not spent
  HeldMessage now;
  bool found = false;
  ASSERT_TRUE(q->Get("id-1", &now, &found).ok());
  EXPECT_TRUE(now.decisions.empty());
  EXPECT_EQ(now.state, HoldState::kPending);
}

TEST(HoldQueueTest, AQuorumNeedsDistinctPeople) {
  testing::TempDir dir;
  HeldMessage h = Sample("id-1");
  h.quorum = 2;
  std::unique_ptr<HoldQueue> q = QueueWith(dir, h);
  ASSERT_TRUE(q);
  ASSERT_TRUE(q->Decide("id-1", Decision{"admin:alice", "bucho@company.example", "approve", 1, "", "admin", ""}, "",
                        nullptr).ok());
  DutyCheck duty;
  Status twice = q->Decide("id-1", Decision{"admin:Alice", "kacho@company.example", "approve", 2, "", "admin", ""}, "",
                           &h, &duty);
  EXPECT_FALSE(twice.ok());
  EXPECT_EQ(duty.code, "already-decided");
  EXPECT_NE(twice.message().find("each approval must come from a different person"), std::string::npos);
  // A rejection by the same person is still possible: it only stops the mail.
  ASSERT_TRUE(q->Decide("id-1", Decision{"admin:alice", "kacho@company.example", "reject", 3, "", "admin", "no"}, "",
                        &h).ok());
  EXPECT_EQ(h.state, HoldState::kRejected);
  // Records written before the check count each person once.
  HeldMessage old = Sample("id-2");
  old.decisions = {Approve("admin:alice"), Approve("admin:alice"), Approve("kacho@company.example")};
  old.decisions[0].on_behalf_of = "bucho@company.example";
  EXPECT_EQ(old.Approvals(), 2);
}

TEST(HoldQueueTest, JsonRoundTrip) {
  HeldMessage h = Sample("x");
  h.decisions.push_back(Approve("bucho@company.example"));
  HeldMessage back;
  ASSERT_TRUE(HeldMessageFromJson(HeldMessageToJson(h), &back));
  EXPECT_EQ(HeldMessageToJson(back), HeldMessageToJson(h));
  EXPECT_FALSE(HeldMessageFromJson("{\"id\":\"x\",\"state\":\"bogus\"}", &back));
  EXPECT_FALSE(HeldMessageFromJson("{\"id\":\"x\",\"state\":\"pending\",\"quorum\":\"two\"}", &back));
  EXPECT_FALSE(HeldMessageFromJson("not json", &back));
}

}  // namespace
}  // namespace mailtee::approval
