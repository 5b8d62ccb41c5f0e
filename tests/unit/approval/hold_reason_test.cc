// Hold reasons are data (kind of rule, what matched, the rule's name), kept
// with the held message and put into Japanese or English when read; records
// from before carry English text only and still show it.
#include "proxy/approval/hold_reason.h"

#include <gtest/gtest.h>

#include "proxy/approval/hold_queue.h"
#include "proxy/approval/rules.h"
#include "tests/unit/approval/approval_test_util.h"

namespace mailtee::approval {
namespace {

using testing::AllProblems;
using testing::ParseXml;

constexpr ReasonLanguage kJa = ReasonLanguage::kJapanese;
constexpr ReasonLanguage kEn = ReasonLanguage::kEnglish;

ApprovalConfig Rules() {
  std::vector<config::Problem> problems;
  ApprovalConfig c = ParseXml(R"(<approval enabled="true">
    <internal domain="company.example"/>
    <rule name="見積は部長承認" sender="*@company.example" when="keywords" keywords="見積" match="body" approvers="bucho@company.example"/>
    <rule sender="*@company.example" when="attachment" approvers="bucho@company.example"/>
    <rule name="customers" sender="*@company.example" when="recipient-domain" domains="customer.example" approvers="bucho@company.example"/>
    <rule name="outside" sender="*@company.example" when="external" approvers="bucho@company.example"/>
    <relay-account sender="*" user="relay@company.example" password="x"/>
  </approval>)", "", &problems);
  return c;
}

MessageFacts Facts(std::vector<std::string> rcpts, std::string subject = "hello") {
  MessageFacts f;
  f.sender = "taro@company.example";
  f.recipients = std::move(rcpts);
  f.subject = std::move(subject);
  return f;
}

std::string Ja(const HoldDecision& d) { return RenderHoldReason(d.why, kJa, d.rule, d.reason); }
std::string En(const HoldDecision& d) { return RenderHoldReason(d.why, kEn, d.rule, d.reason); }

TEST(HoldReasonTest, AKeywordRuleIsNamedAndSaysWhereTheKeywordWas) {
  HoldDecision d = Evaluate(Rules(), Facts({"x@customer.example"}, "お見積りの件"));
  ASSERT_TRUE(d.hold);
  EXPECT_EQ(d.why.kind, "keyword-subject");
  EXPECT_EQ(d.why.keyword, "見積");
  EXPECT_EQ(d.why.rule_name, "見積は部長承認");
  EXPECT_EQ(d.why.rule_sender, "*@company.example");
}

TEST(HoldReasonTest, EachKindReadsInJapaneseAndEnglish) {
  ApprovalConfig c = Rules();
  HoldDecision kw = Evaluate(c, Facts({"x@customer.example"}, "お見積りの件"));
  EXPECT_EQ(Ja(kw), "ルール「見積は部長承認」: 件名にキーワード「見積」");
  EXPECT_EQ(En(kw), "rule \"見積は部長承認\": keyword \"見積\" in the subject");

  MessageFacts body = Facts({"x@customer.example"});
  body.body_sample = "添付の見積をご確認ください";
  HoldDecision in_body = Evaluate(c, body);
  EXPECT_EQ(Ja(in_body), "ルール「見積は部長承認」: 本文にキーワード「見積」");
  EXPECT_EQ(En(in_body), "rule \"見積は部長承認\": keyword \"見積\" in the body");

  MessageFacts att = Facts({"x@customer.example"});
  att.attachment_count = 2;
  HoldDecision unnamed = Evaluate(c, att);
  EXPECT_EQ(unnamed.why.attachment_count, 2);
  EXPECT_EQ(Ja(unnamed), "差出人 *@company.example のルール: 添付ファイル 2 件");
  EXPECT_EQ(En(unnamed), "rule for sender *@company.example: 2 attachments");

  HoldDecision dom = Evaluate(c, Facts({"Tanaka@Customer.Example"}));
  EXPECT_EQ(Ja(dom), "ルール「customers」: 宛先 tanaka@customer.example (customer.example 宛て)");
  EXPECT_EQ(En(dom), "rule \"customers\": recipient tanaka@customer.example is in customer.example");

  HoldDecision ext = Evaluate(c, Facts({"a@company.example", "b@other.example"}));
  EXPECT_EQ(Ja(ext), "ルール「outside」: 社外の宛先 b@other.example");
  EXPECT_EQ(En(ext), "rule \"outside\": recipient b@other.example is outside the office");
  EXPECT_EQ(ext.reason, "external recipient b@other.example") << "the log keeps its English text";
}

TEST(HoldReasonTest, AHeaderFromThatDecidedIsNamed) {
  HoldReason why{"always", "", "info@company.example", "", "", "", 0, "info@company.example"};
  EXPECT_EQ(RenderHoldReason(why, kJa, "", ""),
            "差出人 info@company.example のルール: この差出人のメールは常に承認が必要(ヘッダー From: info@company.example)");
  EXPECT_EQ(RenderHoldReason(why, kEn, "", ""),
            "rule for sender info@company.example: every message from this sender needs approval "
            "(header From info@company.example)");
}

TEST(HoldReasonTest, TheReasonIsStoredWithTheHoldAndOldRecordsShowTheirText) {
  HeldMessage h;
  h.id = "id-1";
  h.rule = "rule at line 24: sender *@company.example, when external";
  h.reason = "external recipient b@other.example";
  h.why = HoldReason{"external", "outside", "*@company.example", "", "b@other.example", "", 0, ""};
  HeldMessage back;
  ASSERT_TRUE(HeldMessageFromJson(HeldMessageToJson(h), &back));
  EXPECT_EQ(back.ReasonIn(kJa), "ルール「outside」: 社外の宛先 b@other.example");
  EXPECT_EQ(back.ReasonIn(kEn), "rule \"outside\": recipient b@other.example is outside the office");

  // A record written before reasons were structured: no "why".
  HeldMessage old;
  ASSERT_TRUE(HeldMessageFromJson(
      R"({"id":"id-0","state":"pending","rule":"rule at line 24: sender *@company.example, when external",)"
      R"("reason":"external recipient b@other.example"})",
      &old));
  EXPECT_TRUE(old.why.empty());
  EXPECT_EQ(old.ReasonIn(kJa), "rule at line 24: sender *@company.example, when external — external recipient b@other.example");
  EXPECT_EQ(old.ReasonIn(kEn), old.ReasonIn(kJa));
}

}  // namespace
}  // namespace mailtee::approval
