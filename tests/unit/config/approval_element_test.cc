// <approval> in the loader: config/ only declares its shape (the daemon parses
// it with proxy/approval), so a correct section loads cleanly and a typo in it
// is still caught here, with a line and a suggestion.
#include "tests/unit/config/config_test_util.h"

namespace mailtee::config::testing {
namespace {

// Line 5 is the first line of `extra`.
std::string WithApproval(const std::string& extra) {
  return "<mailtee>\n"
         "  <listener name=\"s\" protocol=\"smtp\" address=\"127.0.0.1\" port=\"1587\" tls=\"starttls\">\n"
         "    <upstream host=\"127.0.0.1\" port=\"587\" tls=\"starttls\"/>\n"
         "  </listener>\n" +
         extra + "\n</mailtee>\n";
}

TEST(ApprovalElement, EveryDocumentedAttributeAndChildIsAccepted) {
  ScratchDir dir;
  LoadResult r = Load(WithApproval(
                          "  <approval enabled=\"true\" address=\"approval@mailtee.local\" expire-hours=\"72\"\n"
                          "      skip-weekends=\"false\" on-expire=\"escalate\" escalate-to=\"shacho@c.example\"\n"
                          "      secret-file=\"approval.key\" public-url=\"https://m.example:8443\" listener=\"s\">\n"
                          "    <internal domain=\"c.example\"/>\n"
                          "    <rule sender=\"*@c.example\" when=\"keywords\" approvers=\"bucho@c.example\" quorum=\"1\"\n"
                          "          keywords=\"a\" keywords-file=\"k.txt\" match=\"body\" domains=\"x.example\"/>\n"
                          "    <relay-account sender=\"*\" user=\"relay\" password=\"p\" password-file=\"r.pw\"/>\n"
                          "  </approval>"),
                      dir);
  EXPECT_TRUE(r.problems.empty()) << AllProblems(r);
}

TEST(ApprovalElement, MisspelledAttributeGetsASuggestion) {
  ScratchDir dir;
  LoadResult r = Load(WithApproval("  <approval enabled=\"true\" expire-hour=\"4\"/>"), dir);
  ExpectProblem(r, "unknown attribute 'expire-hour' on <approval>", 5, false);
  EXPECT_NE(FindProblem(r, "expire-hour")->hint.find("expire-hours"), std::string::npos);
}

TEST(ApprovalElement, UnknownChildIsAnError) {
  ScratchDir dir;
  LoadResult r = Load(WithApproval("  <approval>\n    <rules sender=\"*\"/>\n  </approval>"), dir);
  ExpectProblem(r, "unknown element <rules> inside <approval>", 6, false);
}

}  // namespace
}  // namespace mailtee::config::testing
