// Problem::ToString is what operators read (and grep): FILE:LINE: severity: message — hint.
#include "config/loader.h"

#include <gtest/gtest.h>

namespace mailtee::config {
namespace {

TEST(Problem, ErrorWithHint) {
  Problem p{"/etc/mailtee/mailtee.xml", 12, "unknown attribute 'prot' on <listener>", "did you mean 'protocol'?", false};
  EXPECT_EQ(p.ToString(),
            "/etc/mailtee/mailtee.xml:12: error: unknown attribute 'prot' on <listener> — did you mean 'protocol'?");
}

TEST(Problem, WarningWithHint) {
  Problem p{"m.xml", 3, "verify=\"false\"", "use verify=\"true\"", true};
  EXPECT_EQ(p.ToString(), "m.xml:3: warning: verify=\"false\" — use verify=\"true\"");
}

TEST(Problem, WithoutHintHasNoDash) {
  Problem p{"m.xml", 0, "cannot read", "", false};
  EXPECT_EQ(p.ToString(), "m.xml:0: error: cannot read");
}

TEST(LoadResult, OkIgnoresWarnings) {
  LoadResult r;
  EXPECT_TRUE(r.ok());
  r.problems.push_back(Problem{"m.xml", 1, "w", "", true});
  EXPECT_TRUE(r.ok());
  r.problems.push_back(Problem{"m.xml", 2, "e", "", false});
  EXPECT_FALSE(r.ok());
}

TEST(EnumNames, ToStringMatchesTheConfigWords) {
  EXPECT_STREQ(ToString(Protocol::kSmtp), "smtp");
  EXPECT_STREQ(ToString(Protocol::kPop3), "pop3");
  EXPECT_STREQ(ToString(TlsMode::kNone), "none");
  EXPECT_STREQ(ToString(TlsMode::kStartTls), "starttls");
  EXPECT_STREQ(ToString(TlsMode::kImplicit), "implicit");
}

}  // namespace
}  // namespace mailtee::config
