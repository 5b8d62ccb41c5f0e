// Each validation rule: the problem, its line, error or warning, and a hint.
// Listener shapes that are not under test are valid so that only one rule fires.
#include "config/loader.h"
#include "tests/unit/config/config_test_util.h"

namespace mailtee::config {
namespace {

using testing::AllProblems;
using testing::ExpectProblem;
using testing::FindProblem;
using testing::Load;
using testing::ScratchDir;

TEST(LoaderProblems, XmlSyntaxErrorHasItsLine) {
  ScratchDir dir;
  LoadResult r = Load("<mailtee>\n  <storage dir=\"x\"/>\n  <listener name=sub>\n</mailtee>", dir);
  ASSERT_EQ(r.problems.size(), 1u) << AllProblems(r);
  ExpectProblem(r, "XML syntax error", 3, false);
  EXPECT_NE(r.problems[0].message.find("without quotes"), std::string::npos) << r.problems[0].message;
}

TEST(LoaderProblems, MismatchedTagIsASyntaxError) {
  ScratchDir dir;
  LoadResult r = Load("<mailtee>\n<listener>\n</mailtee>", dir);
  ExpectProblem(r, "closing tag does not match", 2, false);
}

TEST(LoaderProblems, WrongRootElement) {
  ScratchDir dir;
  LoadResult r = Load("<config/>", dir);
  ExpectProblem(r, "expected <mailtee>", 1, false);
}

TEST(LoaderProblems, NoListener) {
  ScratchDir dir;
  LoadResult r = Load("<mailtee>\n  <storage dir=\"x\"/>\n</mailtee>", dir);
  ExpectProblem(r, "no <listener>", 1, false);
}

TEST(LoaderProblems, UnknownAttributeSuggestsNearestName) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="sub" prot="smtp" port="1587" tls="starttls">
    <upstream host="smtp.example.net" port="587" tls="starttls" verfy="true"/>
  </listener>
</mailtee>)", dir);
  ExpectProblem(r, "unknown attribute 'prot' on <listener>", 2, false);
  EXPECT_EQ(FindProblem(r, "'prot'")->ToString(),
            "test.xml:2: error: unknown attribute 'prot' on <listener> — did you mean 'protocol'?");
  ExpectProblem(r, "unknown attribute 'verfy' on <upstream>", 3, false);
  EXPECT_EQ(FindProblem(r, "'verfy'")->hint, "did you mean 'verify'?");
  // protocol itself is now missing: reported too (every problem, not the first).
  ExpectProblem(r, "needs the attribute 'protocol'", 2, false);
}

TEST(LoaderProblems, UnknownAttributeFarFromAnyNameSaysRemoveIt) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <storage dir="x" colour="blue"/>
</mailtee>)", dir);
  ExpectProblem(r, "unknown attribute 'colour' on <storage>", 2, false);
  EXPECT_NE(FindProblem(r, "'colour'")->hint.find("remove it"), std::string::npos);
}

TEST(LoaderProblems, UnknownElementSuggestsNearestName) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="sub" protocol="smtp" port="1587" tls="starttls">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
    <alow network="10.0.0.0/8"/>
  </listener>
  <listner name="x"/>
</mailtee>)", dir);
  ExpectProblem(r, "unknown element <alow> inside <listener>", 4, false);
  EXPECT_EQ(FindProblem(r, "<alow>")->hint, "did you mean <allow>?");
  ExpectProblem(r, "unknown element <listner> inside <mailtee>", 6, false);
  EXPECT_EQ(FindProblem(r, "<listner>")->hint, "did you mean <listener>?");
}

TEST(LoaderProblems, MissingRequiredAttributes) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <storage/>
  <listener tls="starttls">
    <upstream tls="starttls"/>
    <allow/>
  </listener>
</mailtee>)", dir);
  ExpectProblem(r, "<storage> needs the attribute 'dir'", 2, false);
  ExpectProblem(r, "<listener> needs the attribute 'name'", 3, false);
  ExpectProblem(r, "<listener> needs the attribute 'protocol'", 3, false);
  ExpectProblem(r, "<listener> needs the attribute 'port'", 3, false);
  ExpectProblem(r, "<upstream> needs the attribute 'host'", 4, false);
  ExpectProblem(r, "<upstream> needs the attribute 'port'", 4, false);
  ExpectProblem(r, "<allow> needs the attribute 'network'", 5, false);
}

TEST(LoaderProblems, BadEnumValuesListTheAllowedOnes) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <logs transcripts="maybe"/>
  <listener name="sub" protocol="imap" port="1587" tls="ssl" bare-newline="allow">
    <upstream host="smtp.example.net" port="587" tls="starttls" verify="sometimes"/>
    <auth mode="oauth"/>
  </listener>
</mailtee>)", dir);
  ExpectProblem(r, "'maybe' is not a valid value for transcripts on <logs>", 2, false);
  ExpectProblem(r, "'imap' is not a valid value for protocol on <listener>", 3, false);
  EXPECT_EQ(FindProblem(r, "'imap'")->hint, "use one of: smtp, pop3");
  ExpectProblem(r, "'ssl' is not a valid value for tls on <listener>", 3, false);
  EXPECT_EQ(FindProblem(r, "'ssl'")->hint, "use one of: none, starttls, implicit");
  ExpectProblem(r, "'allow' is not a valid value for bare-newline", 3, false);
  EXPECT_EQ(FindProblem(r, "'allow'")->hint, "use one of: reject, normalize");
  ExpectProblem(r, "'sometimes' is not a valid value for verify on <upstream>", 4, false);
  ExpectProblem(r, "'oauth' is not a valid value for mode on <auth>", 5, false);
  EXPECT_EQ(FindProblem(r, "'oauth'")->hint, "use one of: passthrough, account, none");
}

TEST(LoaderProblems, PortsOutsideTheirRange) {
  // Listeners take 0..65535 (0 only warns: the system picks a port); upstreams 1..65535.
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="a" protocol="smtp" port="65536" tls="starttls">
    <upstream host="smtp.example.net" port="65536" tls="starttls"/>
  </listener>
  <listener name="b" protocol="smtp" port="25x" tls="starttls">
    <upstream host="smtp.example.net" port="-1" tls="starttls"/>
  </listener>
  <listener name="c" protocol="smtp" port="1587" tls="starttls">
    <upstream host="smtp.example.net" port="0" tls="starttls"/>
  </listener>
</mailtee>)", dir);
  ExpectProblem(r, "port=\"65536\" on <listener> is not a number from 0 to 65535", 2, false);
  ExpectProblem(r, "port=\"65536\" on <upstream> is not a number from 1 to 65535", 3, false);
  ExpectProblem(r, "port=\"0\" on <upstream> is not a number from 1 to 65535", 9, false);
  ExpectProblem(r, "port=\"25x\" on <listener>", 5, false);
  ExpectProblem(r, "port=\"-1\" on <upstream>", 6, false);
}

TEST(LoaderProblems, NumbersAreDigitsOnly) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="a" protocol="smtp" port=" 1587" tls="starttls">
    <upstream host="smtp.example.net" port="+587" tls="starttls"/>
  </listener>
</mailtee>)", dir);
  ExpectProblem(r, "port=\" 1587\" on <listener>", 2, false);
  ExpectProblem(r, "port=\"+587\" on <upstream>", 3, false);
}

TEST(LoaderProblems, OtherNumbersAreRangeChecked) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <logs retention-days="0"/>
  <listener name="a" protocol="smtp" port="1587" tls="starttls" max-connections-per-ip="lots">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
    <timeouts greeting="0" idle="9999999"/>
  </listener>
</mailtee>)", dir);
  ExpectProblem(r, "retention-days=\"0\" on <logs>", 2, false);
  ExpectProblem(r, "max-connections-per-ip=\"lots\"", 3, false);
  ExpectProblem(r, "greeting=\"0\" on <timeouts>", 5, false);
  ExpectProblem(r, "idle=\"9999999\" on <timeouts>", 5, false);
}

TEST(LoaderProblems, DuplicateListenerNames) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="sub" protocol="smtp" port="1587" tls="starttls">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
  </listener>
  <listener name="sub" protocol="smtp" port="1588" tls="starttls">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
  </listener>
</mailtee>)", dir);
  ExpectProblem(r, "a second listener is named 'sub' (the first is at line 2)", 5, false);
}

TEST(LoaderProblems, ManyCopiesOfOneListenerGiveOneProblemPerCopyAndKind) {
  ScratchDir dir;
  const std::string copy = R"(<listener name="x" protocol="smtp" port="1587" tls="starttls">
<upstream host="smtp.example.net" port="587" tls="starttls"/></listener>
)";
  LoadResult r = Load("<mailtee>\n" + copy + copy + copy + copy + "</mailtee>", dir);
  // Copies 2..4: one duplicate name and one duplicate binding each.
  EXPECT_EQ(r.problems.size(), 6u) << AllProblems(r);
}

TEST(LoaderProblems, TwoListenersOnTheSameAddressAndPort) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="a" protocol="smtp" address="127.0.0.1" port="1587" tls="starttls">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
  </listener>
  <listener name="b" protocol="pop3" address="127.0.0.1" port="1587" tls="starttls">
    <upstream host="pop.example.net" port="110" tls="starttls"/>
  </listener>
  <listener name="c" protocol="smtp" address="0.0.0.0" port="1587" tls="starttls">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
  </listener>
  <listener name="d" protocol="smtp" address="::1" port="1587" tls="starttls">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
  </listener>
</mailtee>)", dir);
  ExpectProblem(r, "listener 'b' uses 127.0.0.1:1587, already taken by listener 'a' at line 2", 5, false);
  // The wildcard of the same family collides too; another family does not.
  ExpectProblem(r, "listener 'c' uses 0.0.0.0:1587, already taken by listener 'a'", 8, false);
  EXPECT_EQ(FindProblem(r, "listener 'd' uses"), nullptr) << AllProblems(r);
}

TEST(LoaderProblems, ListenerAddressMustBeAnIpLiteral) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="a" protocol="smtp" address="localhost" port="1587" tls="starttls">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
  </listener>
</mailtee>)", dir);
  ExpectProblem(r, "listener address 'localhost' is not an IP address", 2, false);
}

TEST(LoaderProblems, MissingUpstreamIsAnErrorOutsideTheEmbeddedDefault) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="a" protocol="smtp" port="1587" tls="starttls">
  </listener>
</mailtee>)", dir);
  ExpectProblem(r, "listener 'a' has no <upstream>", 2, false);
}

TEST(LoaderProblems, RepeatedSingleElement) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="a" protocol="smtp" port="1587" tls="starttls">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
    <upstream host="smtp2.example.net" port="587" tls="starttls"/>
  </listener>
</mailtee>)", dir);
  ExpectProblem(r, "<upstream> is given more than once in <listener>", 4, false);
}

TEST(LoaderProblems, Pop3ListenerWithSmtpOnlyAttributes) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="p" protocol="pop3" port="1110" tls="starttls" bare-newline="reject">
    <upstream host="pop.example.net" port="110" tls="starttls"/>
  </listener>
</mailtee>)", dir);
  ExpectProblem(r, "bare-newline, max-message-size and max-recipients apply to SMTP listeners only", 2, false);
}

TEST(LoaderProblems, PlainListenerOffLoopbackWarnsAboutClearPasswords) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="lan" protocol="pop3" address="0.0.0.0" port="110" tls="none">
    <upstream host="pop.example.net" port="995" tls="implicit"/>
  </listener>
  <listener name="local" protocol="pop3" address="127.0.0.1" port="1110" tls="none">
    <upstream host="pop.example.net" port="995" tls="implicit"/>
  </listener>
  <listener name="local6" protocol="pop3" address="::1" port="1110" tls="none">
    <upstream host="pop.example.net" port="995" tls="implicit"/>
  </listener>
</mailtee>)", dir);
  EXPECT_TRUE(r.ok()) << AllProblems(r);
  ExpectProblem(r, "listener 'lan' has tls=\"none\" on 0.0.0.0: passwords cross the network in clear", 2, true);
  EXPECT_EQ(r.problems.size(), 1u) << AllProblems(r);
}

TEST(LoaderProblems, UpstreamPortAndTlsModeMismatchWarns) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="a" protocol="smtp" port="1587" tls="starttls">
    <upstream host="smtp.example.net" port="465" tls="starttls"/>
  </listener>
  <listener name="b" protocol="smtp" port="1588" tls="starttls">
    <upstream host="smtp.example.net" port="587" tls="implicit"/>
  </listener>
  <listener name="c" protocol="pop3" port="1110" tls="starttls">
    <upstream host="pop.example.net" port="995" tls="starttls"/>
  </listener>
</mailtee>)", dir);
  EXPECT_TRUE(r.ok()) << AllProblems(r);
  ExpectProblem(r, "port 465 is normally implicit TLS", 3, true);
  ExpectProblem(r, "port 587 normally speaks STARTTLS", 6, true);
  ExpectProblem(r, "port 995 is normally implicit TLS", 9, true);
}

TEST(LoaderProblems, UpstreamWithoutTlsToARemoteHostWarns) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="a" protocol="smtp" port="1587" tls="starttls">
    <upstream host="smtp.example.net" port="25" tls="none"/>
  </listener>
  <listener name="b" protocol="smtp" port="1588" tls="starttls">
    <upstream host="127.0.0.1" port="25" tls="none"/>
  </listener>
</mailtee>)", dir);
  ExpectProblem(r, "tls=\"none\" to smtp.example.net", 3, true);
  EXPECT_EQ(r.problems.size(), 1u) << AllProblems(r);
}

TEST(LoaderProblems, VerifyFalseWarns) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="a" protocol="smtp" port="1587" tls="starttls">
    <upstream host="smtp.example.net" port="587" tls="starttls" verify="false"/>
  </listener>
</mailtee>)", dir);
  EXPECT_TRUE(r.ok());
  ExpectProblem(r, "verify=\"false\": the provider's identity is not checked", 3, true);
  EXPECT_FALSE(r.config.listeners.at(0).upstream->verify);
}

TEST(LoaderProblems, UnreadableCaFile) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="a" protocol="smtp" port="1587" tls="starttls">
    <upstream host="smtp.example.net" port="587" tls="starttls" ca-file="missing-ca.pem"/>
  </listener>
</mailtee>)", dir);
  ExpectProblem(r, "cannot read ca-file " + dir.path() + "/missing-ca.pem: No such file", 3, false);
}

TEST(LoaderProblems, TlsCertAndKey) {
  ScratchDir dir;
  dir.Write("cert.pem", "c");
  LoadResult only_cert = Load(R"(<mailtee>
  <tls cert="cert.pem"/>
  <listener name="a" protocol="smtp" port="1587" tls="starttls">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
  </listener>
</mailtee>)", dir);
  ExpectProblem(only_cert, "<tls> needs both cert and key", 2, false);

  LoadResult missing_key = Load(R"(<mailtee>
  <tls cert="cert.pem" key="key.pem"/>
  <listener name="a" protocol="smtp" port="1587" tls="starttls">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
  </listener>
</mailtee>)", dir);
  ExpectProblem(missing_key, "cannot read " + dir.path() + "/key.pem", 2, false);
  EXPECT_EQ(FindProblem(missing_key, "cert.pem"), nullptr) << AllProblems(missing_key);
}

TEST(LoaderProblems, AccountModeWithoutAllowWouldBeAnOpenRelay) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="scan" protocol="smtp" port="2525" tls="none">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
    <auth mode="account" user="scanner" password="pw"/>
  </listener>
</mailtee>)", dir);
  ExpectProblem(r, "uses auth mode=\"account\" without <allow>: mailtee would be an open relay", 2, false);
  EXPECT_NE(FindProblem(r, "open relay")->hint.find("<allow network="), std::string::npos);
}

TEST(LoaderProblems, NoneModeWithoutAllowWouldBeAnOpenRelay) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="lan" protocol="smtp" port="2525" tls="none">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
    <auth mode="none"/>
  </listener>
</mailtee>)", dir);
  ExpectProblem(r, "uses auth mode=\"none\" without <allow>: mailtee would be an open relay", 2, false);
}

TEST(LoaderProblems, NoneModeIsForSmtpOnly) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="mail" protocol="pop3" port="110" tls="none">
    <upstream host="pop.example.net" port="995" tls="implicit"/>
    <auth mode="none"/>
    <allow network="192.168.1.0/24"/>
  </listener>
</mailtee>)", dir);
  ExpectProblem(r, "auth mode=\"none\" applies to SMTP listeners only", 4, false);
}

// A POP3 session never reads <auth>: mode="account" would promise a login
// mailtee never makes (issue 13 item 2). The error is at the <auth> line, and
// no "open relay, add <allow>" advice follows it (the fix is removing <auth>).
TEST(LoaderProblems, AccountModeOnAPop3ListenerIsAnError) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="mail" protocol="pop3" port="1110" tls="starttls">
    <upstream host="pop.example.net" port="995" tls="implicit"/>
    <auth mode="account" user="scanner@example.net" password="never-shown"/>
  </listener>
</mailtee>)", dir);
  ExpectProblem(r, "auth mode=\"account\" applies to SMTP listeners only, not to POP3 listener 'mail'", 4, false);
  const Problem* problem = FindProblem(r, "applies to SMTP");
  ASSERT_NE(problem, nullptr);
  EXPECT_EQ(problem->hint,
            "POP3 relays the client's own login (USER/PASS, APOP, AUTH); remove <auth> from this listener");
  EXPECT_EQ(FindProblem(r, "open relay"), nullptr) << AllProblems(r);
  EXPECT_EQ(AllProblems(r).find("never-shown"), std::string::npos);
  // passthrough is what a POP3 listener does anyway: accepted.
  LoadResult ok = Load(R"(<mailtee>
  <listener name="mail" protocol="pop3" port="1110" tls="starttls">
    <upstream host="pop.example.net" port="995" tls="implicit"/>
    <auth mode="passthrough"/>
  </listener>
</mailtee>)", dir);
  EXPECT_TRUE(ok.ok()) << AllProblems(ok);
}

TEST(LoaderProblems, NoneModeIgnoresCredentialsWithAWarning) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="lan" protocol="smtp" port="2525" tls="none">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
    <auth mode="none" user="u" password="never-shown"/>
    <allow network="192.168.1.0/24"/>
  </listener>
</mailtee>)", dir);
  EXPECT_TRUE(r.ok()) << AllProblems(r);
  ExpectProblem(r, "user/password are ignored with mode=\"none\"", 4, true);
  EXPECT_EQ(AllProblems(r).find("never-shown"), std::string::npos);
  EXPECT_EQ(r.config.listeners[0].auth.password, "");
}

TEST(LoaderProblems, AccountModeNeedsUserAndPassword) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="scan" protocol="smtp" port="2525" tls="none">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
    <auth mode="account"/>
    <allow network="192.168.1.0/24"/>
  </listener>
</mailtee>)", dir);
  ExpectProblem(r, "auth mode=\"account\" needs user=", 4, false);
  ExpectProblem(r, "auth mode=\"account\" needs password-file=", 4, false);
}

TEST(LoaderProblems, EmptyPasswordOrPasswordFile) {
  ScratchDir dir;
  dir.Write("empty.pw", "\n");
  LoadResult r = Load(R"(<mailtee>
  <listener name="a" protocol="smtp" port="2525" tls="none">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
    <auth mode="account" user="u" password=""/>
    <allow network="192.168.1.0/24"/>
  </listener>
  <listener name="b" protocol="smtp" port="2526" tls="none">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
    <auth mode="account" user="u" password-file="empty.pw"/>
    <allow network="192.168.1.0/24"/>
  </listener>
</mailtee>)", dir);
  ExpectProblem(r, "auth password=\"\" is empty", 4, false);
  ExpectProblem(r, "password-file " + dir.path() + "/empty.pw is empty", 9, false);
}

TEST(LoaderProblems, PasswordAndPasswordFileTogether) {
  ScratchDir dir;
  dir.Write("pw", "x");
  LoadResult r = Load(R"(<mailtee>
  <listener name="scan" protocol="smtp" port="2525" tls="none">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
    <auth mode="account" user="u" password="a" password-file="pw"/>
    <allow network="192.168.1.0/24"/>
  </listener>
</mailtee>)", dir);
  ExpectProblem(r, "give either password or password-file, not both", 4, false);
}

TEST(LoaderProblems, PasswordFileUnreadableOrOpenToOthers) {
  ScratchDir dir;
  dir.Write("open.pw", "secret\n", 0644);
  const std::string xml = R"(<mailtee>
  <listener name="a" protocol="smtp" port="2525" tls="none">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
    <auth mode="account" user="u" password-file="missing.pw"/>
    <allow network="192.168.1.0/24"/>
  </listener>
  <listener name="b" protocol="smtp" port="2526" tls="none">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
    <auth mode="account" user="u" password-file="open.pw"/>
    <allow network="192.168.1.0/24"/>
  </listener>
</mailtee>)";
  LoadResult r = Load(xml, dir);
  ExpectProblem(r, "password-file: cannot read " + dir.path() + "/missing.pw: No such file", 4, false);
  ExpectProblem(r, "password-file " + dir.path() + "/open.pw is readable by group or other users", 9, true);
  EXPECT_EQ(FindProblem(r, "open.pw")->hint, "chmod 600 " + dir.path() + "/open.pw");
  EXPECT_EQ(r.config.listeners.at(1).auth.password, "secret");
}

TEST(LoaderProblems, PasswordsNeverAppearInProblems) {
  ScratchDir dir;
  dir.Write("pw", "hunter2-from-file\n", 0640);
  LoadResult r = Load(R"(<mailtee>
  <listener name="a" protocol="smtp" port="2525" tls="nonee">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
    <auth mode="account" user="u" password-file="pw"/>
  </listener>
</mailtee>)", dir);
  ASSERT_FALSE(r.problems.empty());
  EXPECT_EQ(AllProblems(r).find("hunter2"), std::string::npos) << AllProblems(r);
}

TEST(LoaderProblems, BadAllowNetworksAndHostBits) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="a" protocol="smtp" port="1587" tls="starttls">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
    <allow network="192.168.1.0/33"/>
    <allow network="office-lan"/>
    <allow network="192.168.1.7/24"/>
  </listener>
</mailtee>)", dir);
  ExpectProblem(r, "'192.168.1.0/33' is not a network", 4, false);
  ExpectProblem(r, "'office-lan' is not a network", 5, false);
  ExpectProblem(r, "network '192.168.1.7/24' has bits set after its /24 prefix", 6, true);
  EXPECT_EQ(r.config.listeners.at(0).allow.size(), 1u);
}

TEST(LoaderProblems, TranscriptsOnWarns) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <logs transcripts="true"/>
  <listener name="a" protocol="smtp" port="1587" tls="starttls">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
  </listener>
</mailtee>)", dir);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.config.logs.transcripts);
  ExpectProblem(r, "session transcripts are on", 2, true);
}

TEST(LoaderProblems, EveryProblemIsReportedNotJustTheFirst) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <storage dir=""/>
  <listener name="a" protocol="smtp" port="99999" tls="starttls">
    <upstream host="" port="587" tls="starttls"/>
  </listener>
  <listener name="b" protocol="pop3" port="1110" tls="bogus">
  </listener>
</mailtee>)", dir);
  ExpectProblem(r, "<storage dir=\"\"> is empty", 2, false);
  ExpectProblem(r, "port=\"99999\"", 3, false);
  ExpectProblem(r, "<upstream host=\"\"> is empty", 4, false);
  ExpectProblem(r, "'bogus' is not a valid value for tls", 6, false);
  ExpectProblem(r, "listener 'b' has no <upstream>", 6, false);
  EXPECT_GE(r.problems.size(), 5u);
}

}  // namespace
}  // namespace mailtee::config
