// <approval> parsing and validation: every attribute, and the problems an
// operator must hear about (bad approver, uncovered sender, unreadable files).
#include "proxy/approval/approval_config.h"

#include <gtest/gtest.h>

#include "tests/unit/approval/approval_test_util.h"

namespace mailtee::approval {
namespace {

using testing::AllProblems;
using testing::HasError;
using testing::ParseXml;
using testing::TempDir;

TEST(ApprovalConfigTest, ParsesTheIssueExample) {
  TempDir dir;
  dir.Write("keywords.txt", "\xEF\xBB\xBF# words that need the boss\n見積\n\nconfidential\r\n");
  dir.Write("relay.pw", "s3cret\n");
  const std::string xml = R"(<approval enabled="true" address="Approval@Mailtee.Local" expire-hours="48"
      on-expire="escalate" escalate-to="shacho@company.example" secret-file="approval.key" skip-weekends="true"
      public-url="https://mailtee.company.example:8443/">
    <internal domain="company.example"/>
    <rule sender="info@company.example" when="always" approvers="bucho@company.example, kacho@company.example" quorum="2"/>
    <rule sender="*@company.example" when="attachment" approvers="bucho@company.example"/>
    <rule sender="*@company.example" when="keywords" keywords-file="keywords.txt" match="body" approvers="bucho@company.example"/>
    <rule sender="*@company.example" when="recipient-domain" domains="customer.example" approvers="bucho@company.example"/>
    <rule sender="*" when="never"/>
    <relay-account sender="*" user="relay@company.example" password-file="relay.pw"/>
  </approval>)";
  std::vector<config::Problem> problems;
  ApprovalConfig c = ParseXml(xml, dir.path(), &problems);
  EXPECT_TRUE(problems.empty()) << AllProblems(problems);
  EXPECT_TRUE(c.enabled);
  EXPECT_EQ(c.address, "approval@mailtee.local");
  EXPECT_EQ(c.expire_hours, 48);
  EXPECT_TRUE(c.skip_weekends);
  EXPECT_EQ(c.on_expire, OnExpire::kEscalate);
  EXPECT_EQ(c.escalate_to, std::vector<std::string>{"shacho@company.example"});
  EXPECT_EQ(c.secret_file, dir.path() + "/approval.key");  // given: relative to the config folder
  EXPECT_EQ(c.public_url, "https://mailtee.company.example:8443");
  ASSERT_EQ(c.rules.size(), 5u);
  EXPECT_EQ(c.rules[0].approvers, (std::vector<std::string>{"bucho@company.example", "kacho@company.example"}));
  EXPECT_EQ(c.rules[0].quorum, 2);
  EXPECT_EQ(c.rules[2].keywords, (std::vector<std::string>{"見積", "confidential"}));
  EXPECT_EQ(c.rules[2].match, KeywordScope::kSubjectAndBody);
  EXPECT_EQ(c.rules[3].domains, std::vector<std::string>{"customer.example"});
  EXPECT_EQ(c.rules[4].when, When::kNever);
  ASSERT_EQ(c.relay_accounts.size(), 1u);
  EXPECT_EQ(c.relay_accounts[0].password, "s3cret");
  EXPECT_NE(c.RelayAccountFor("someone@company.example"), nullptr);
  EXPECT_EQ(c.rules[3].Describe(), "rule at line 8: sender *@company.example, when recipient-domain (customer.example)");
}

TEST(ApprovalConfigTest, ApproverThatIsNotAnAddressIsAnError) {
  std::vector<config::Problem> problems;
  ParseXml(R"(<approval><rule sender="*" when="always" approvers="bucho, *@x.example, a@b.example"/></approval>)", "",
           &problems);
  EXPECT_TRUE(HasError(problems, "'bucho' in approvers is not a mail address")) << AllProblems(problems);
  EXPECT_TRUE(HasError(problems, "'*@x.example' in approvers")) << AllProblems(problems);
}

TEST(ApprovalConfigTest, HoldingRuleWithoutRelayAccountForItsSenderIsAnError) {
  std::vector<config::Problem> problems;
  ParseXml(R"(<approval enabled="true">
      <rule sender="*@sales.example" when="always" approvers="boss@sales.example"/>
      <rule sender="*@other.example" when="never"/>
      <relay-account sender="approval@mailtee.local" user="u" password="p"/>
    </approval>)",
           "", &problems);
  ASSERT_TRUE(HasError(problems, "no <relay-account> covers that sender")) << AllProblems(problems);
  EXPECT_EQ(problems.size(), 1u) << AllProblems(problems);  // the never rule needs none
  EXPECT_EQ(problems[0].line, 2);
}

TEST(ApprovalConfigTest, NoticesNeedARelayAccountForTheApprovalAddress) {
  std::vector<config::Problem> problems;
  ParseXml(R"(<approval enabled="true"><relay-account sender="*@company.example" user="u" password="p"/></approval>)", "",
           &problems);
  EXPECT_TRUE(HasError(problems, "covers the approval address approval@mailtee.local")) << AllProblems(problems);
}

TEST(ApprovalConfigTest, UnreadableFilesAreErrors) {
  TempDir dir;
  std::vector<config::Problem> problems;
  ParseXml(R"(<approval>
      <rule sender="*" when="keywords" keywords-file="missing.txt" approvers="a@b.example"/>
      <relay-account sender="*" user="u" password-file="nope.pw"/>
    </approval>)",
           dir.path(), &problems);
  EXPECT_TRUE(HasError(problems, "keywords-file: ")) << AllProblems(problems);
  EXPECT_TRUE(HasError(problems, "password-file: ")) << AllProblems(problems);
  EXPECT_NE(AllProblems(problems).find("missing.txt"), std::string::npos);
}

TEST(ApprovalConfigTest, BadValuesAreReportedWithTheirLine) {
  std::vector<config::Problem> problems;
  ParseXml(R"(<approval enabled="maybe" on-expire="later" expire-hours="0" public-url="ftp://x">
<rule sender="*" when="sometimes"/>
<rule when="recipient-domain" approvers="a@b.example" quorum="3"/>
<bogus/>
</approval>)",
           "", &problems);
  EXPECT_TRUE(HasError(problems, "'maybe' is not a valid value for enabled"));
  EXPECT_TRUE(HasError(problems, "'later' is not a valid value for on-expire"));
  EXPECT_TRUE(HasError(problems, "expire-hours=\"0\""));
  EXPECT_TRUE(HasError(problems, "not an http(s) URL"));
  EXPECT_TRUE(HasError(problems, "'sometimes' is not a valid value for when"));
  EXPECT_TRUE(HasError(problems, "<rule> needs sender"));
  EXPECT_TRUE(HasError(problems, "quorum=\"3\" is more than the 1 approver(s)"));
  EXPECT_TRUE(HasError(problems, "needs domains="));
  for (const auto& p : problems) {
    if (p.message.find("'sometimes'") != std::string::npos) {
      EXPECT_EQ(p.line, 2);
    }
  }
}

TEST(ApprovalConfigTest, RelayListenerMustBeSmtpWithUpstream) {
  ApprovalConfig c;
  c.enabled = true;
  c.listener = "pop";
  std::vector<config::Listener> listeners(2);
  listeners[0].name = "pop";
  listeners[0].protocol = config::Protocol::kPop3;
  listeners[1].name = "submission";
  std::vector<config::Problem> problems;
  ValidateApprovalListener(c, listeners, &problems);
  EXPECT_TRUE(HasError(problems, "is not an SMTP listener"));
  c.listener.clear();
  problems.clear();
  ValidateApprovalListener(c, listeners, &problems);
  EXPECT_TRUE(HasError(problems, "has no <upstream>"));
  listeners[1].upstream = config::Upstream{"smtp.example", 587};
  problems.clear();
  ValidateApprovalListener(c, listeners, &problems);
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(RelayListener(c, listeners), &listeners[1]);
}

TEST(ApprovalConfigTest, LoadApprovalSectionReadsTheConfigFileWithLines) {
  TempDir dir;
  const std::string path = dir.Write("mailtee.xml", "<mailtee>\n<storage dir=\"x\"/>\n<approval enabled=\"true\">\n"
                                                    "<rule sender=\"*\" when=\"always\" approvers=\"nobody\"/>\n"
                                                    "<relay-account sender=\"*\" user=\"u\" password=\"p\"/>\n"
                                                    "</approval>\n</mailtee>\n");
  ApprovalConfig c;
  std::vector<config::Problem> problems;
  ASSERT_TRUE(LoadApprovalSection(path, &c, &problems).ok());
  ASSERT_EQ(problems.size(), 1u) << AllProblems(problems);
  EXPECT_EQ(problems[0].file, path);
  EXPECT_EQ(problems[0].line, 4);
  EXPECT_TRUE(c.enabled);
}

}  // namespace
}  // namespace mailtee::approval

namespace mailtee::approval {
namespace {

// name="..." is what approvers read in every hold reason: kept as written
// (trimmed), in Describe() for the log, and it must be non-empty and unique.
TEST(ApprovalConfigTest, RulesMayHaveANameThatIsUniqueAndNotEmpty) {
  std::vector<config::Problem> problems;
  ApprovalConfig c = testing::ParseXml(R"(<approval enabled="true">
<rule name=" 見積は部長承認 " sender="*@company.example" when="always" approvers="bucho@company.example"/>
<rule sender="*@company.example" when="attachment" approvers="bucho@company.example"/>
<rule name="見積は部長承認" sender="*" when="always" approvers="bucho@company.example"/>
<rule name="  " sender="*" when="always" approvers="bucho@company.example"/>
<relay-account sender="*" user="relay@company.example" password="x"/>
</approval>)",
                                       "", &problems);
  ASSERT_EQ(c.rules.size(), 4u);
  EXPECT_EQ(c.rules[0].name, "見積は部長承認");
  EXPECT_EQ(c.rules[1].name, "");
  EXPECT_EQ(c.rules[0].Describe(), "rule \"見積は部長承認\" at line 2: sender *@company.example, when always");
  bool duplicate = false, empty = false;
  for (const config::Problem& p : problems) {
    if (p.message.find("two rules are named \"見積は部長承認\" (the other at line 2)") != std::string::npos) {
      duplicate = !p.warning && p.line == 4;
    }
    if (p.message.find("name=\"\" on <rule> is empty") != std::string::npos) empty = !p.warning && p.line == 5;
  }
  EXPECT_TRUE(duplicate) << testing::AllProblems(problems);
  EXPECT_TRUE(empty) << testing::AllProblems(problems);
}

}  // namespace
}  // namespace mailtee::approval
