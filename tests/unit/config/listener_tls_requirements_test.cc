// Issue 13 item 16: the provider leg is TLS unless tls="none" is written out
// (implicit on 465/995, STARTTLS otherwise); an account/none listener open to
// every address is an error, not a silent open relay; require-tls="true"
// refuses mail and logins before STARTTLS/STLS and needs tls="starttls".
#include "config/loader.h"
#include "tests/unit/config/config_test_util.h"

namespace mailtee::config {
namespace {

using testing::AllProblems;
using testing::ExpectProblem;
using testing::FindProblem;
using testing::Load;
using testing::ScratchDir;

TEST(ListenerTlsRequirements, UpstreamTlsDefaultsToTheModeOfItsPort) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="s587" protocol="smtp" port="1587" tls="starttls">
    <upstream host="smtp.example.net" port="587"/>
  </listener>
  <listener name="s465" protocol="smtp" port="1465" tls="implicit">
    <upstream host="smtp.example.net" port="465"/>
  </listener>
  <listener name="p110" protocol="pop3" port="1110" tls="starttls">
    <upstream host="pop.example.net" port="110"/>
  </listener>
  <listener name="p995" protocol="pop3" port="1995" tls="implicit">
    <upstream host="pop.example.net" port="995"/>
  </listener>
  <listener name="odd" protocol="smtp" port="2525" tls="starttls">
    <upstream host="smtp.example.net" port="2587"/>
  </listener>
</mailtee>)", dir);
  ASSERT_TRUE(r.ok()) << AllProblems(r);
  EXPECT_TRUE(r.problems.empty()) << AllProblems(r);  // a default is no convention clash
  ASSERT_EQ(r.config.listeners.size(), 5u);
  EXPECT_EQ(r.config.listeners[0].upstream->tls, TlsMode::kStartTls);
  EXPECT_EQ(r.config.listeners[1].upstream->tls, TlsMode::kImplicit);
  EXPECT_EQ(r.config.listeners[2].upstream->tls, TlsMode::kStartTls);
  EXPECT_EQ(r.config.listeners[3].upstream->tls, TlsMode::kImplicit);
  EXPECT_EQ(r.config.listeners[4].upstream->tls, TlsMode::kStartTls);
}

TEST(ListenerTlsRequirements, ExplicitNoneIsAcceptedWithTheCleartextWarning) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="lan" protocol="smtp" port="1587" tls="starttls">
    <upstream host="smtp.example.net" port="587" tls="none"/>
  </listener>
  <listener name="local" protocol="smtp" port="1588" tls="starttls">
    <upstream host="127.0.0.1" port="25" tls="none"/>
  </listener>
</mailtee>)", dir);
  ASSERT_TRUE(r.ok()) << AllProblems(r);
  EXPECT_EQ(r.config.listeners[0].upstream->tls, TlsMode::kNone);
  EXPECT_EQ(r.config.listeners[1].upstream->tls, TlsMode::kNone);
  ExpectProblem(r, "tls=\"none\" to smtp.example.net: passwords cross the network to the provider in clear", 3,
                true);
  EXPECT_EQ(r.problems.size(), 1u) << AllProblems(r);  // loopback provider: no warning
}

TEST(ListenerTlsRequirements, AccountListenerOpenToEveryAddressIsAnError) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="scanner" protocol="smtp" address="0.0.0.0" port="2525" tls="starttls">
    <upstream host="smtp.example.net" port="587"/>
    <auth mode="account" user="scanner@example.net" password="pw"/>
    <allow network="192.168.10.0/24"/>
    <allow network="0.0.0.0/0"/>
  </listener>
  <listener name="scanner6" protocol="smtp" address="::" port="2526" tls="starttls">
    <upstream host="smtp.example.net" port="587"/>
    <auth mode="account" user="scanner@example.net" password="pw"/>
    <allow network="::/0"/>
  </listener>
  <listener name="relay" protocol="smtp" address="0.0.0.0" port="2527" tls="starttls">
    <upstream host="smtp.example.net" port="587"/>
    <auth mode="none"/>
    <allow network="0.0.0.0/0"/>
  </listener>
</mailtee>)", dir);
  EXPECT_FALSE(r.ok());
  ExpectProblem(r, "<allow network=\"0.0.0.0/0\"> admits every IPv4 address to listener 'scanner' "
                   "(auth mode=\"account\"): mailtee would be an open relay", 6, false);
  ExpectProblem(r, "<allow network=\"::/0\"> admits every IPv6 address to listener 'scanner6'", 11, false);
  ExpectProblem(r, "<allow network=\"0.0.0.0/0\"> admits every IPv4 address to listener 'relay' "
                   "(auth mode=\"none\")", 16, false);
  EXPECT_NE(FindProblem(r, "'scanner'")->hint.find("192.168.10.0/24"), std::string::npos);
  EXPECT_EQ(r.problems.size(), 3u) << AllProblems(r);
}

TEST(ListenerTlsRequirements, PassthroughListenerMayAllowEveryAddress) {
  // Clients log in with their own provider account: no relay without a login.
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="submission" protocol="smtp" address="0.0.0.0" port="587" tls="starttls">
    <upstream host="smtp.example.net" port="587"/>
    <allow network="0.0.0.0/0"/>
  </listener>
</mailtee>)", dir);
  EXPECT_TRUE(r.ok()) << AllProblems(r);
  EXPECT_TRUE(r.problems.empty()) << AllProblems(r);
}

TEST(ListenerTlsRequirements, RequireTlsIsParsedAndNeedsStartTls) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="scanner" protocol="smtp" port="2525" tls="starttls" require-tls="true">
    <upstream host="smtp.example.net" port="587"/>
    <auth mode="account" user="scanner@example.net" password="pw"/>
    <allow network="192.168.10.0/24"/>
  </listener>
  <listener name="pop3" protocol="pop3" port="1110" tls="starttls" require-tls="yes">
    <upstream host="pop.example.net" port="995"/>
  </listener>
  <listener name="plain" protocol="smtp" port="1587" tls="starttls">
    <upstream host="smtp.example.net" port="587"/>
  </listener>
</mailtee>)", dir);
  ASSERT_TRUE(r.ok()) << AllProblems(r);
  EXPECT_TRUE(r.problems.empty()) << AllProblems(r);
  EXPECT_TRUE(r.config.listeners[0].require_tls);
  EXPECT_TRUE(r.config.listeners[1].require_tls);
  EXPECT_FALSE(r.config.listeners[2].require_tls);

  LoadResult bad = Load(R"(<mailtee>
  <listener name="clear" protocol="smtp" port="2525" tls="none" require-tls="true">
    <upstream host="127.0.0.1" port="25" tls="none"/>
  </listener>
  <listener name="smtps" protocol="smtp" port="1465" tls="implicit" require-tls="true">
    <upstream host="127.0.0.1" port="465"/>
  </listener>
  <listener name="typo" protocol="smtp" port="1587" tls="starttls" require-tls="always">
    <upstream host="127.0.0.1" port="587"/>
  </listener>
</mailtee>)", dir);
  EXPECT_FALSE(bad.ok());
  ExpectProblem(bad, "listener 'clear' has require-tls=\"true\" but tls=\"none\": clients cannot start TLS", 2,
                false);
  ExpectProblem(bad, "require-tls has no effect on listener 'smtps'", 5, true);
  ExpectProblem(bad, "'always' is not a valid value for require-tls on <listener>", 8, false);
}

}  // namespace
}  // namespace mailtee::config
