// Rule evaluation: every `when`, wildcards, internal domains, first match wins,
// never-exceptions, quorum, and the envelope preview.
#include "proxy/approval/rules.h"

#include <gtest/gtest.h>

#include "proxy/approval/address_pattern.h"

namespace mailtee::approval {
namespace {

Rule MakeRule(std::string sender, When when, std::vector<std::string> approvers = {"bucho@company.example"}) {
  Rule r;
  r.sender = std::move(sender);
  r.when = when;
  r.approvers = std::move(approvers);
  return r;
}

ApprovalConfig Config(std::vector<Rule> rules) {
  ApprovalConfig c;
  c.enabled = true;
  c.internal_domains = {"company.example"};
  for (size_t i = 0; i < rules.size(); ++i) rules[i].line = static_cast<int>(i + 1);
  c.rules = std::move(rules);
  return c;
}

MessageFacts Facts(std::string sender, std::vector<std::string> rcpts, std::string subject = "hello") {
  MessageFacts f;
  f.sender = std::move(sender);
  f.recipients = std::move(rcpts);
  f.subject = std::move(subject);
  return f;
}

TEST(AddressPatternTest, Wildcards) {
  EXPECT_TRUE(MatchAddressPattern("*", "anyone@anywhere.example"));
  EXPECT_TRUE(MatchAddressPattern("*@company.example", "Taro@Company.Example"));
  EXPECT_FALSE(MatchAddressPattern("*@company.example", "taro@company.example.evil"));
  EXPECT_FALSE(MatchAddressPattern("*@company.example", "taro@sub.company.example"));
  EXPECT_TRUE(MatchAddressPattern("*@*.company.example", "taro@sub.company.example"));
  EXPECT_TRUE(MatchAddressPattern("info@company.example", "INFO@company.example"));
  EXPECT_FALSE(MatchAddressPattern("info@company.example", "info2@company.example"));
  EXPECT_TRUE(MatchAddressPattern("sales-*@company.example", "sales-tokyo@company.example"));
  EXPECT_FALSE(MatchAddressPattern("a*a*a*a*b", std::string(200, 'a')));
  EXPECT_TRUE(DomainWithin("tokyo.customer.example", "customer.example"));
  EXPECT_FALSE(DomainWithin("notcustomer.example", "customer.example"));
  EXPECT_EQ(NormalizeAddress(" <Bucho@Company.Example> "), "bucho@company.example");
}

TEST(RulesTest, AlwaysHoldsWithItsApproversAndQuorum) {
  Rule r = MakeRule("info@company.example", When::kAlways, {"bucho@company.example", "kacho@company.example"});
  r.quorum = 2;
  ApprovalConfig c = Config({r});
  HoldDecision d = Evaluate(c, Facts("info@company.example", {"a@company.example"}));
  EXPECT_TRUE(d.hold);  // always holds internal mail too
  EXPECT_EQ(d.approvers.size(), 2u);
  EXPECT_EQ(d.quorum, 2);
  EXPECT_EQ(d.rule_index, 0);
  EXPECT_EQ(d.rule, "rule at line 1: sender info@company.example, when always, quorum 2");
  EXPECT_FALSE(Evaluate(c, Facts("other@company.example", {"x@customer.example"})).hold);
}

TEST(RulesTest, AttachmentHoldsOnlyWithAttachments) {
  ApprovalConfig c = Config({MakeRule("*@company.example", When::kAttachment)});
  MessageFacts f = Facts("taro@company.example", {"x@customer.example"});
  EXPECT_FALSE(Evaluate(c, f).hold);
  f.attachment_count = 1;
  f.attachment_names = {"見積書.pdf"};
  HoldDecision d = Evaluate(c, f);
  EXPECT_TRUE(d.hold);
  EXPECT_EQ(d.reason, "attachment: 見積書.pdf");
}

TEST(RulesTest, KeywordsInSubjectOrBody) {
  Rule r = MakeRule("*@company.example", When::kKeywords);
  r.keywords = {"見積", "Confidential"};
  ApprovalConfig c = Config({r});
  EXPECT_TRUE(Evaluate(c, Facts("t@company.example", {"x@c.example"}, "お見積りの件")).hold);
  EXPECT_TRUE(Evaluate(c, Facts("t@company.example", {"x@c.example"}, "CONFIDENTIAL plan")).hold);
  MessageFacts f = Facts("t@company.example", {"x@c.example"}, "plain");
  f.body_sample = "this is confidential";
  EXPECT_FALSE(Evaluate(c, f).hold);  // subject only by default
  c.rules[0].match = KeywordScope::kSubjectAndBody;
  HoldDecision d = Evaluate(c, f);
  EXPECT_TRUE(d.hold);
  EXPECT_EQ(d.reason, "keyword in body: Confidential");
}

TEST(RulesTest, RecipientDomainMatchesSubdomainsAndAnyRecipient) {
  Rule r = MakeRule("*@company.example", When::kRecipientDomain);
  r.domains = {"customer.example"};
  ApprovalConfig c = Config({r});
  EXPECT_FALSE(Evaluate(c, Facts("t@company.example", {"x@other.example"})).hold);
  EXPECT_TRUE(Evaluate(c, Facts("t@company.example", {"x@other.example", "y@osaka.customer.example"})).hold);
}

TEST(RulesTest, ExternalHoldsWhenAnyRecipientIsOutsideInternalDomains) {
  ApprovalConfig c = Config({MakeRule("*", When::kExternal)});
  EXPECT_FALSE(Evaluate(c, Facts("t@company.example", {"a@company.example", "b@tokyo.company.example"})).hold);
  HoldDecision d = Evaluate(c, Facts("t@company.example", {"a@company.example", "B@gmail.example"}));
  EXPECT_TRUE(d.hold);
  EXPECT_EQ(d.reason, "external recipient b@gmail.example");
}

TEST(RulesTest, InternalOnlyMailIsExemptFromContentRules) {
  ApprovalConfig c = Config({MakeRule("*@company.example", When::kAttachment)});
  MessageFacts f = Facts("t@company.example", {"colleague@company.example"});
  f.attachment_count = 1;
  EXPECT_FALSE(Evaluate(c, f).hold);
  f.recipients.push_back("x@customer.example");
  EXPECT_TRUE(Evaluate(c, f).hold);
}

TEST(RulesTest, FirstMatchWinsAndNeverIsAnException) {
  ApprovalConfig c = Config({MakeRule("ceo@company.example", When::kNever, {}),
                             MakeRule("*@company.example", When::kExternal, {"bucho@company.example"}),
                             MakeRule("*", When::kAlways, {"admin@company.example"})});
  EXPECT_FALSE(Evaluate(c, Facts("ceo@company.example", {"x@customer.example"})).hold);
  HoldDecision d = Evaluate(c, Facts("t@company.example", {"x@customer.example"}));
  EXPECT_TRUE(d.hold);
  EXPECT_EQ(d.rule_index, 1);
  // The external rule does not match (internal recipient): evaluation goes on to "*".
  d = Evaluate(c, Facts("t@company.example", {"y@company.example"}));
  EXPECT_TRUE(d.hold);
  EXPECT_EQ(d.rule_index, 2);
  EXPECT_EQ(d.approvers, std::vector<std::string>{"admin@company.example"});
}

TEST(RulesTest, DisabledOrNoMatchPasses) {
  ApprovalConfig c = Config({MakeRule("*", When::kAlways)});
  c.enabled = false;
  EXPECT_FALSE(Evaluate(c, Facts("t@company.example", {"x@y.example"})).hold);
  EXPECT_FALSE(Evaluate(Config({}), Facts("t@company.example", {"x@y.example"})).hold);
}

TEST(RulesTest, PreviewEnvelope) {
  Rule kw = MakeRule("*@company.example", When::kKeywords);
  kw.keywords = {"x"};
  ApprovalConfig c = Config({MakeRule("info@company.example", When::kAlways), kw, MakeRule("*", When::kNever, {})});
  EXPECT_EQ(PreviewEnvelope(c, "info@company.example", {"a@b.example"}, false), EnvelopeOutlook::kHold);
  EXPECT_EQ(PreviewEnvelope(c, "t@company.example", {"a@b.example"}, false), EnvelopeOutlook::kDependsOnContent);
  EXPECT_EQ(PreviewEnvelope(c, "t@company.example", {"a@company.example"}, false), EnvelopeOutlook::kPass);
  EXPECT_EQ(PreviewEnvelope(c, "t@elsewhere.example", {"a@b.example"}, false), EnvelopeOutlook::kPass);
  // Without a login a header From may still hold what the envelope sender passes.
  EXPECT_EQ(PreviewEnvelope(c, "t@elsewhere.example", {"a@b.example"}, true), EnvelopeOutlook::kDependsOnContent);
  // ... but not when no rule can hold these recipients (internal mail, content rules only).
  ApprovalConfig content_only = Config({kw});
  EXPECT_EQ(PreviewEnvelope(content_only, "t@elsewhere.example", {"a@company.example"}, true), EnvelopeOutlook::kPass);
}

// Rules follow the login: the session's login is MessageFacts::sender, whatever MAIL FROM said.
TEST(RulesTest, ABareLoginIsMatchedByThePatternsLocalPart) {
  ApprovalConfig c = Config({MakeRule("ceo@company.example", When::kNever, {}),
                             MakeRule("*@subsidiary.example", When::kNever, {}),
                             MakeRule("*@company.example", When::kExternal)});
  EXPECT_TRUE(Evaluate(c, Facts("taro", {"x@customer.example"})).hold);
  EXPECT_FALSE(Evaluate(c, Facts("ceo", {"x@customer.example"})).hold);  // the exception names "ceo"
  EXPECT_EQ(PreviewEnvelope(c, "taro", {"x@customer.example"}, false), EnvelopeOutlook::kHold);
}

// Without a login: the envelope sender and every header From are evaluated;
// the stricter wins (hold beats pass; of two holds, the earlier rule).
TEST(RulesTest, HeaderFromCannotEscapeAStricterRuleThanTheEnvelopeSender) {
  ApprovalConfig c = Config({MakeRule("scanner@company.example", When::kNever, {}),
                             MakeRule("shacho@company.example", When::kAlways, {"kansa@company.example"}),
                             MakeRule("*@company.example", When::kExternal, {"bucho@company.example"})});
  MessageFacts f = Facts("scanner@company.example", {"x@customer.example"});
  EXPECT_FALSE(Evaluate(c, f).hold);
  f.header_from = {"taro@company.example"};
  HoldDecision d = Evaluate(c, f);
  EXPECT_TRUE(d.hold);
  EXPECT_EQ(d.rule_index, 2);
  EXPECT_EQ(d.reason, "external recipient x@customer.example (header From taro@company.example)");
  // Both hold: the rule that comes first in the config.
  f.sender = "taro@company.example";
  f.header_from = {"shacho@company.example"};
  d = Evaluate(c, f);
  EXPECT_EQ(d.rule_index, 1);
  EXPECT_EQ(d.approvers, std::vector<std::string>{"kansa@company.example"});
  f.sender = "shacho@company.example";
  f.header_from = {"taro@company.example"};
  EXPECT_EQ(Evaluate(c, f).rule_index, 1);
}

}  // namespace
}  // namespace mailtee::approval
