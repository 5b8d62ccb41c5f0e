// CLI actions on the hold queue: authorised approver only, logged, delegation.
#include "proxy/approval/hold_admin.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/unit/approval/approval_test_util.h"

namespace mailtee::approval {
namespace {

TEST(HoldAdminTest, DecideAsApproverOnlyAndLogIt) {
  testing::TempDir dir;
  std::unique_ptr<HoldQueue> q;
  ASSERT_TRUE(HoldQueue::Open(dir.path(), &q).ok());
  ApprovalLog log(dir.path() + "/logs", 30, false);
  ASSERT_TRUE(log.Open().ok());
  HeldMessage h;
  h.id = "id-1";
  h.sender = "taro@company.example";
  h.recipients = {"a@customer.example"};
  h.subject = "件名";
  h.approvers = {"bucho@company.example"};
  h.held_at = 100;
  ASSERT_TRUE(q->Put(h).ok());
  HeldMessage out;
  Status s = AdminDecide(q.get(), &log, "id-1", "approve", "intruder@company.example", "", 200, &out);
  EXPECT_FALSE(s.ok());
  EXPECT_FALSE(AdminDecide(q.get(), &log, "id-1", "launch", "bucho@company.example", "", 200, &out).ok());
  ASSERT_TRUE(AdminDelegate(q.get(), &log, "bucho@company.example", "jicho@company.example", "2099-01-31").ok());
  ASSERT_TRUE(AdminDecide(q.get(), &log, "id-1", "reject", "jicho@company.example", "no", 200, &out).ok());
  EXPECT_EQ(out.state, HoldState::kRejected);
  EXPECT_EQ(out.decisions.back().via, "cli");
  EXPECT_EQ(out.decisions.back().on_behalf_of, "bucho@company.example");
  EXPECT_NE(FormatHoldLine(out).find("id-1  rejected  "), std::string::npos);
  EXPECT_NE(FormatHoldLine(out).find("taro@company.example -> a@customer.example  (0/1)  件名"), std::string::npos);
  std::ifstream in(log.PathFor(std::chrono::system_clock::now()));
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_NE(ss.str().find(" refused id=id-1 by=intruder@company.example via=cli"), std::string::npos) << ss.str();
  EXPECT_NE(ss.str().find(" delegate by=bucho@company.example via=cli reason=\"proxy jicho@company.example until 2099-01-31\""),
            std::string::npos) << ss.str();
  EXPECT_NE(ss.str().find(" reject id=id-1 by=jicho@company.example for=bucho@company.example via=cli"),
            std::string::npos) << ss.str();
  ASSERT_TRUE(AdminDelegate(q.get(), &log, "bucho@company.example", "", "").ok());
  Delegation d;
  bool found = true;
  ASSERT_TRUE(q->GetDelegation("bucho@company.example", &d, &found).ok());
  EXPECT_FALSE(found);
  EXPECT_FALSE(AdminDelegate(q.get(), &log, "bucho@company.example", "x@company.example", "someday").ok());
}

}  // namespace
}  // namespace mailtee::approval
