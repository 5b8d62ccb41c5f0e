// Confirmation page: GET shows a POST form (never acts), values are escaped,
// unusable tokens explain why.
#include "proxy/approval/approval_page.h"

#include <gtest/gtest.h>

namespace mailtee::approval {
namespace {

ActionResult Peek(const std::string& message) {
  ActionResult r;
  r.held.id = "id-1";
  r.held.sender = "taro@company.example";
  r.held.recipients = {"a@customer.example"};
  r.held.subject = "<script>alert(1)</script> お見積り";
  r.message = message;
  return r;
}

TEST(ApprovalPageTest, ConfirmationIsAPostFormWithEscapedValues) {
  const std::string html = RenderConfirmationPage(Peek("approve id-1 as bucho@company.example"), "tok\"en", "/approval/tok");
  EXPECT_NE(html.find("<form method=\"post\" action=\"/approval/tok\">"), std::string::npos);
  EXPECT_NE(html.find("name=\"token\" value=\"tok&quot;en\""), std::string::npos);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt; お見積り"), std::string::npos);
  EXPECT_NE(html.find("承認する / Approve"), std::string::npos);
  EXPECT_EQ(html.find("name=\"reason\""), std::string::npos);
  const std::string reject = RenderConfirmationPage(Peek("reject id-1 as bucho@company.example"), "t", "/approval/t");
  EXPECT_NE(reject.find("name=\"reason\""), std::string::npos);
}

TEST(ApprovalPageTest, UnusableTokenExplains) {
  ActionResult r;
  r.status = Status::Error("token already used");
  const std::string html = RenderConfirmationPage(r, "t", "/approval/t");
  EXPECT_NE(html.find("token already used"), std::string::npos);
  EXPECT_EQ(html.find("<form"), std::string::npos);
  EXPECT_NE(RenderResultPage(r).find("Not done"), std::string::npos);
}

TEST(ApprovalPageTest, SeparationOfDutiesRefusalIsExplainedInJapaneseAndEnglish) {
  ActionResult r;
  r.status = Status::Error("taro@company.example sent id-1 and cannot decide on their own message");
  r.refusal = Refusal::kSeparationOfDuties;
  r.reason_ja = "taro@company.example さんは id-1 の差出人のため、自分のメールを承認・差し戻しできません";
  const std::string html = RenderResultPage(r);
  EXPECT_NE(html.find("<p lang=\"ja\">" + r.reason_ja + "</p>"), std::string::npos) << html;
  EXPECT_NE(html.find("<p lang=\"en\">" + r.status.message() + "</p>"), std::string::npos) << html;
}

}  // namespace
}  // namespace mailtee::approval
