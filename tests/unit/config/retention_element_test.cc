// <retention> and <legal-hold>: the archive's retention rules (docs/archive-index.md).
#include "tests/unit/config/config_test_util.h"

namespace mailtee::config::testing {
namespace {

// Line 5 is the first line of `extra`.
std::string WithRetention(const std::string& extra) {
  return "<mailtee>\n"
         "  <listener name=\"s\" protocol=\"smtp\" address=\"127.0.0.1\" port=\"1587\" tls=\"starttls\">\n"
         "    <upstream host=\"127.0.0.1\" port=\"587\" tls=\"starttls\"/>\n"
         "  </listener>\n" +
         extra + "\n</mailtee>\n";
}

TEST(RetentionElement, AbsentMeansKeepForever) {
  ScratchDir dir;
  LoadResult r = Load(WithRetention(""), dir);
  ASSERT_TRUE(r.ok()) << AllProblems(r);
  EXPECT_EQ(r.config.retention.default_days, 0);
  EXPECT_TRUE(r.config.retention.users.empty());
  EXPECT_TRUE(r.config.retention.legal_hold_users.empty());
  EXPECT_FALSE(r.config.retention.any());
}

TEST(RetentionElement, DefaultOverridesAndHolds) {
  ScratchDir dir;
  LoadResult r = Load(WithRetention("  <retention days=\"3650\"/>\n"
                                    "  <retention user=\"tanaka\" days=\"0\"/>\n"
                                    "  <retention user=\"Suzuki\" days=\"365\"/>\n"
                                    "  <legal-hold user=\"sato\"/>\n"
                                    "  <legal-hold user=\"ito\"/>"),
                      dir);
  ASSERT_TRUE(r.ok()) << AllProblems(r);
  const RetentionSettings& ret = r.config.retention;
  EXPECT_EQ(ret.default_days, 3650);
  ASSERT_EQ(ret.users.size(), 2u);
  EXPECT_EQ(ret.users[0].user, "tanaka");
  EXPECT_EQ(ret.users[0].days, 0);
  EXPECT_EQ(ret.users[0].line, 6);
  EXPECT_EQ(ret.users[1].user, "Suzuki");
  EXPECT_EQ(ret.users[1].days, 365);
  EXPECT_EQ(ret.legal_hold_users, (std::vector<std::string>{"sato", "ito"}));
  EXPECT_TRUE(ret.any());
}

TEST(RetentionElement, DaysIsRequiredAndBounded) {
  ScratchDir dir;
  ExpectProblem(Load(WithRetention("  <retention user=\"tanaka\"/>"), dir), "needs the attribute 'days'", 5, false);
  ExpectProblem(Load(WithRetention("  <retention days=\"-1\"/>"), dir), "is not a number from 0 to 36500", 5, false);
  ExpectProblem(Load(WithRetention("  <retention days=\"ten\"/>"), dir), "is not a number from 0 to 36500", 5, false);
}

TEST(RetentionElement, SecondDefaultIsAnError) {
  ScratchDir dir;
  LoadResult r = Load(WithRetention("  <retention days=\"10\"/>\n  <retention days=\"20\"/>"), dir);
  ExpectProblem(r, "<retention> without user= is given more than once", 6, false);
  EXPECT_EQ(r.config.retention.default_days, 10);
}

TEST(RetentionElement, SameUserTwiceIgnoringCaseIsAnError) {
  ScratchDir dir;
  LoadResult r = Load(WithRetention("  <retention user=\"tanaka\" days=\"10\"/>\n"
                                    "  <retention user=\"TANAKA\" days=\"20\"/>"),
                      dir);
  ExpectProblem(r, "retention for user 'TANAKA' is given more than once", 6, false);
}

TEST(RetentionElement, EmptyUserIsAnError) {
  ScratchDir dir;
  ExpectProblem(Load(WithRetention("  <retention user=\"\" days=\"1\"/>"), dir), "<retention user=\"\"> is empty", 5,
                false);
  ExpectProblem(Load(WithRetention("  <legal-hold user=\"\"/>"), dir), "<legal-hold user=\"\"> is empty", 5, false);
}

TEST(RetentionElement, LegalHoldNeedsUserAndWarnsOnRepeat) {
  ScratchDir dir;
  ExpectProblem(Load(WithRetention("  <legal-hold/>"), dir), "needs the attribute 'user'", 5, false);
  LoadResult r = Load(WithRetention("  <legal-hold user=\"sato\"/>\n  <legal-hold user=\"Sato\"/>"), dir);
  EXPECT_TRUE(r.ok()) << AllProblems(r);
  ExpectProblem(r, "legal hold for 'Sato' is given more than once", 6, true);
  EXPECT_EQ(r.config.retention.legal_hold_users.size(), 1u);
}

TEST(RetentionElement, TypoGetsASuggestion) {
  ScratchDir dir;
  ExpectProblem(Load(WithRetention("  <retention day=\"10\"/>"), dir), "unknown attribute 'day' on <retention>", 5,
                false);
  ExpectProblem(Load(WithRetention("  <legalhold user=\"x\"/>"), dir), "unknown element <legalhold>", 5, false);
}

}  // namespace
}  // namespace mailtee::config::testing
