// <listener max-recipients="n">: RCPTs per SMTP transaction (issue 13 item 13).
// Default 1000, 1-100000, SMTP only; errors name the line.
#include "config/loader.h"
#include "tests/unit/config/config_test_util.h"

namespace mailtee::config {
namespace {

using testing::AllProblems;
using testing::ExpectProblem;
using testing::Load;
using testing::ScratchDir;

TEST(MaxRecipients, DefaultsToAThousandAndTakesTheAttribute) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="a" protocol="smtp" port="1587" tls="starttls">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
  </listener>
  <listener name="b" protocol="smtp" port="1588" tls="starttls" max-recipients="50">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
  </listener>
</mailtee>)", dir);
  ASSERT_TRUE(r.ok()) << AllProblems(r);
  EXPECT_EQ(r.config.listeners.at(0).max_recipients, 1000u);
  EXPECT_EQ(r.config.listeners.at(1).max_recipients, 50u);
}

TEST(MaxRecipients, OutOfRangeIsAnErrorWithItsLine) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="a" protocol="smtp" port="1587" tls="starttls" max-recipients="0">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
  </listener>
</mailtee>)", dir);
  ExpectProblem(r, "max-recipients=\"0\" on <listener> is not a number from 1 to 100000", 2, false);
}

TEST(MaxRecipients, OnAPop3ListenerIsAnError) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="p" protocol="pop3" port="1110" tls="starttls" max-recipients="10">
    <upstream host="pop.example.net" port="110" tls="starttls"/>
  </listener>
</mailtee>)", dir);
  ExpectProblem(r, "max-recipients apply to SMTP listeners only", 2, false);
}

}  // namespace
}  // namespace mailtee::config
