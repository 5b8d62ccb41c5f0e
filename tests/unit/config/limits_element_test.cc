// Connection and time limits of a listener (issue 13 items 11 and 12):
// max-connections, and the <timeouts> line / session / min-data-rate.
#include "config/loader.h"
#include "tests/unit/config/config_test_util.h"

namespace mailtee::config {
namespace {

using testing::AllProblems;
using testing::ExpectProblem;
using testing::ScratchDir;

TEST(LimitsElement, DefaultsBoundEveryListener) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="a" protocol="smtp" port="1587" tls="starttls">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
  </listener>
</mailtee>)", dir);
  ASSERT_TRUE(r.ok()) << AllProblems(r);
  const Listener& l = r.config.listeners[0];
  EXPECT_EQ(l.max_connections, 200);
  EXPECT_EQ(l.timeouts.line_ms, 60'000);
  EXPECT_EQ(l.timeouts.session_ms, 3'600'000);
  EXPECT_EQ(l.timeouts.min_data_rate, 1024);
}

TEST(LimitsElement, ValuesAreReadInSecondsAndBytesPerSecond) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="a" protocol="pop3" port="1110" tls="starttls" max-connections="50">
    <upstream host="pop.example.net" port="110" tls="starttls"/>
    <timeouts line="30" session="7200" min-data-rate="0"/>
  </listener>
</mailtee>)", dir);
  ASSERT_TRUE(r.ok()) << AllProblems(r);
  const Listener& l = r.config.listeners[0];
  EXPECT_EQ(l.max_connections, 50);
  EXPECT_EQ(l.timeouts.line_ms, 30'000);
  EXPECT_EQ(l.timeouts.session_ms, 7'200'000);
  EXPECT_EQ(l.timeouts.min_data_rate, 0);
}

TEST(LimitsElement, OutOfRangeValuesNameTheLine) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="a" protocol="smtp" port="1587" tls="starttls" max-connections="-1">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
    <timeouts line="0" session="999999999" min-data-rate="fast"/>
  </listener>
</mailtee>)", dir);
  EXPECT_FALSE(r.ok());
  ExpectProblem(r, "max-connections=\"-1\"", 2, false);
  ExpectProblem(r, "line=\"0\" on <timeouts>", 4, false);
  ExpectProblem(r, "session=\"999999999\" on <timeouts>", 4, false);
  ExpectProblem(r, "min-data-rate=\"fast\" on <timeouts>", 4, false);
}

}  // namespace
}  // namespace mailtee::config
