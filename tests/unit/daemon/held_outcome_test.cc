// HeldOutcomeOf: what the archived report says once a hold ends.
#include "proxy/daemon/held_outcome.h"

#include <gtest/gtest.h>

namespace mailtee::daemon {
namespace {

approval::HeldMessage Held(approval::HoldState state) {
  approval::HeldMessage h;
  h.id = "20261124T080000Z-0123456789ab";
  h.state = state;
  h.user = "taro@company.example";
  h.rule = "rule at line 7: sender *@company.example, when external";
  h.held_at = 1795537224;
  return h;
}

approval::Decision D(const std::string& action, const std::string& by, const std::string& behalf, int64_t at,
                     const std::string& via, const std::string& reason = "") {
  approval::Decision d;
  d.action = action;
  d.approver = by;
  d.on_behalf_of = behalf;
  d.at = at;
  d.client_ip = via == "web" ? "192.0.2.9" : "";
  d.via = via;
  d.reason = reason;
  return d;
}

const auto kNow = std::chrono::system_clock::from_time_t(1795540000);

TEST(HeldOutcome, RelayedCarriesTheProvidersReplyAndEveryDecision) {
  approval::HeldMessage h = Held(approval::HoldState::kRelayed);
  h.relay_result = "250 2.0.0 Ok: queued as 4F2A1C";
  h.decisions = {D("approve", "kacho@company.example", "bucho@company.example", 1795537300, "web", "fine"),
                 D("approve", "shacho@company.example", "", 1795537400, "mail")};
  archive::HeldOutcome o = HeldOutcomeOf(h, kNow);
  EXPECT_EQ(o.outcome, "relayed");
  EXPECT_EQ(o.code, 250);
  EXPECT_EQ(o.reply, "250 2.0.0 Ok: queued as 4F2A1C");
  EXPECT_EQ(o.relayed_at, archive::FormatIsoTime(kNow));
  EXPECT_EQ(o.trail.rule, h.rule);
  EXPECT_EQ(o.trail.held_at, archive::FormatIsoTime(std::chrono::system_clock::from_time_t(1795537224)));
  ASSERT_EQ(o.trail.steps.size(), 2u);
  EXPECT_EQ(o.trail.steps[0].by, "kacho@company.example");
  EXPECT_EQ(o.trail.steps[0].on_behalf_of, "bucho@company.example");
  EXPECT_EQ(o.trail.steps[0].client_ip, "192.0.2.9");
  EXPECT_EQ(o.trail.steps[0].via, "web");
  EXPECT_EQ(o.trail.steps[0].reason, "fine");
  EXPECT_EQ(o.trail.steps[0].at, archive::FormatIsoTime(std::chrono::system_clock::from_time_t(1795537300)));
  EXPECT_EQ(o.trail.steps[1].via, "mail");
}

TEST(HeldOutcome, RejectedKeepsTheReasonAndNoRelayTime) {
  approval::HeldMessage h = Held(approval::HoldState::kRejected);
  h.decisions = {D("reject", "bucho@company.example", "", 1795537300, "mail", "wrong customer")};
  archive::HeldOutcome o = HeldOutcomeOf(h, kNow);
  EXPECT_EQ(o.outcome, "rejected");
  EXPECT_EQ(o.reply, "wrong customer");
  EXPECT_EQ(o.code, 0);
  EXPECT_TRUE(o.relayed_at.empty());
}

TEST(HeldOutcome, ExpiredAndWithdrawn) {
  approval::HeldMessage e = Held(approval::HoldState::kExpired);
  e.decisions = {D("expire", "mailtee", "", 1795540000, "timer")};
  EXPECT_EQ(HeldOutcomeOf(e, kNow).outcome, "expired");
  EXPECT_EQ(HeldOutcomeOf(e, kNow).trail.steps.at(0).action, "expire");
  EXPECT_EQ(HeldOutcomeOf(Held(approval::HoldState::kWithdrawn), kNow).outcome, "withdrawn");
}

TEST(HeldOutcome, RelayReplyWithoutCodeGivesZero) {
  approval::HeldMessage h = Held(approval::HoldState::kRelayed);
  h.relay_result = "ok";
  EXPECT_EQ(HeldOutcomeOf(h, kNow).code, 0);
}

}  // namespace
}  // namespace mailtee::daemon
