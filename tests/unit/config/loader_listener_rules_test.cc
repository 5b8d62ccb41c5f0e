// Rules added after the first review of the loader against the spec: listener
// port 0, TLS-mode conventions on listeners, plain-text account listeners,
// dual-stack wildcard clashes, files that are folders, repeated elements,
// misplaced elements and an invalid auth mode. Each test states line and text.
#include "config/loader.h"
#include "tests/unit/config/config_test_util.h"

namespace mailtee::config {
namespace {

using testing::AllProblems;
using testing::ExpectProblem;
using testing::FindProblem;
using testing::Load;
using testing::ScratchDir;

TEST(LoaderListenerRules, ListenerPortZeroIsAWarning) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="any" protocol="smtp" port="0" tls="starttls">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
  </listener>
</mailtee>)", dir);
  EXPECT_TRUE(r.ok()) << AllProblems(r);
  ExpectProblem(r, "listener 'any' has port=\"0\": the system picks a free port at each start", 2, true);
  EXPECT_EQ(r.problems.size(), 1u) << AllProblems(r);
  EXPECT_EQ(r.config.listeners.at(0).port, 0);
}

TEST(LoaderListenerRules, EmptyListenerNameIsAnError) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="" protocol="smtp" port="1587" tls="starttls">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
  </listener>
</mailtee>)", dir);
  ExpectProblem(r, "<listener name=\"\"> is empty", 2, false);
}

TEST(LoaderListenerRules, TwoListenersOnPortZeroDoNotClash) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="a" protocol="smtp" port="0" tls="starttls">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
  </listener>
  <listener name="b" protocol="smtp" port="0" tls="starttls">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
  </listener>
</mailtee>)", dir);
  EXPECT_TRUE(r.ok()) << AllProblems(r);
  EXPECT_EQ(FindProblem(r, "already taken"), nullptr) << AllProblems(r);
}

TEST(LoaderListenerRules, ListenerPortAndTlsModeMismatchWarns) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="s465" protocol="smtp" address="127.0.0.1" port="465" tls="starttls">
    <upstream host="smtp.example.net" port="465" tls="implicit"/>
  </listener>
  <listener name="s587" protocol="smtp" address="127.0.0.1" port="587" tls="implicit">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
  </listener>
  <listener name="p995" protocol="pop3" address="127.0.0.1" port="995" tls="none">
    <upstream host="pop.example.net" port="995" tls="implicit"/>
  </listener>
  <listener name="p110" protocol="pop3" address="127.0.0.1" port="110" tls="implicit">
    <upstream host="pop.example.net" port="995" tls="implicit"/>
  </listener>
  <listener name="fine" protocol="pop3" address="127.0.0.1" port="1995" tls="implicit">
    <upstream host="pop.example.net" port="995" tls="implicit"/>
  </listener>
</mailtee>)", dir);
  EXPECT_TRUE(r.ok()) << AllProblems(r);
  ExpectProblem(r, "listener 's465': port 465 is normally implicit TLS, but tls=\"starttls\" is set", 2, true);
  ExpectProblem(r, "listener 's587': port 587 normally speaks STARTTLS, but tls=\"implicit\" is set", 5, true);
  ExpectProblem(r, "listener 'p995': port 995 is normally implicit TLS, but tls=\"none\" is set", 8, true);
  ExpectProblem(r, "listener 'p110': port 110 normally speaks STARTTLS, but tls=\"implicit\" is set", 11, true);
  EXPECT_EQ(r.problems.size(), 4u) << AllProblems(r);
}

TEST(LoaderListenerRules, UpstreamOn465WithPlainTlsWarnsAboutTheConvention) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="a" protocol="smtp" port="1587" tls="starttls">
    <upstream host="127.0.0.1" port="465" tls="none"/>
  </listener>
</mailtee>)", dir);
  ExpectProblem(r, "upstream: port 465 is normally implicit TLS, but tls=\"none\" is set", 3, true);
}

TEST(LoaderListenerRules, PlainAccountListenerOffLoopbackWarnsAboutClearMail) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="scanner" protocol="smtp" address="192.168.10.1" port="2525" tls="none">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
    <auth mode="account" user="scanner" password="pw"/>
    <allow network="192.168.10.0/24"/>
  </listener>
</mailtee>)", dir);
  EXPECT_TRUE(r.ok()) << AllProblems(r);
  ExpectProblem(r, "listener 'scanner' has tls=\"none\" on 192.168.10.1: mail crosses the network in clear", 2,
                true);
  EXPECT_EQ(r.problems.size(), 1u) << AllProblems(r);
}

TEST(LoaderListenerRules, DualStackWildcardClashesWithIpv4OnTheSamePort) {
  // The listener binds :: dual-stack, so it also takes every IPv4 address.
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="v6any" protocol="smtp" address="::" port="1587" tls="starttls">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
  </listener>
  <listener name="v4" protocol="smtp" address="127.0.0.1" port="1587" tls="starttls">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
  </listener>
  <listener name="mapped" protocol="smtp" address="::ffff:10.0.0.1" port="1588" tls="starttls">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
  </listener>
  <listener name="v4any" protocol="smtp" address="0.0.0.0" port="1588" tls="starttls">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
  </listener>
  <listener name="v6one" protocol="smtp" address="::1" port="1589" tls="starttls">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
  </listener>
  <listener name="v4any2" protocol="smtp" address="0.0.0.0" port="1589" tls="starttls">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
  </listener>
</mailtee>)", dir);
  ExpectProblem(r, "listener 'v4' uses 127.0.0.1:1587, already taken by listener 'v6any' at line 2", 5, false);
  ExpectProblem(r, "listener 'v4any' uses 0.0.0.0:1588, already taken by listener 'mapped' at line 8", 11,
                false);
  // ::1 is IPv6 only; 0.0.0.0 does not cover it.
  EXPECT_EQ(FindProblem(r, "listener 'v4any2' uses"), nullptr) << AllProblems(r);
}

TEST(LoaderListenerRules, CertKeyAndCaFileMustBeRegularFiles) {
  ScratchDir dir;
  dir.Write("certs/readme", "folder marker");
  dir.Write("key.pem", "key");
  LoadResult r = Load(R"(<mailtee>
  <tls cert="certs" key="key.pem"/>
  <listener name="a" protocol="smtp" port="1587" tls="starttls">
    <upstream host="smtp.example.net" port="587" tls="starttls" ca-file="certs"/>
  </listener>
</mailtee>)", dir);
  ExpectProblem(r, "cannot read " + dir.path() + "/certs: not a regular file", 2, false);
  ExpectProblem(r, "cannot read ca-file " + dir.path() + "/certs: not a regular file", 4, false);
  EXPECT_EQ(r.problems.size(), 2u) << AllProblems(r);
}

TEST(LoaderListenerRules, EveryExtraCopyOfASingleElementIsReported) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <storage dir="a"/>
  <storage dir="b"/>
  <storage dir="c"/>
  <listener name="a" protocol="smtp" port="1587" tls="starttls">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
  </listener>
</mailtee>)", dir);
  ASSERT_EQ(r.problems.size(), 2u) << AllProblems(r);
  EXPECT_EQ(r.problems[0].line, 3);
  EXPECT_EQ(r.problems[1].line, 4);
  EXPECT_NE(r.problems[1].hint.find("the first, at line 2, is used"), std::string::npos) << AllProblems(r);
  EXPECT_EQ(r.config.storage_dir, dir.path() + "/a");
}

TEST(LoaderListenerRules, MisplacedElementSaysWhereItBelongs) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <upstream host="smtp.example.net" port="587" tls="starttls"/>
  <listener name="a" protocol="smtp" port="1587" tls="starttls">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
    <storage dir="x"/>
  </listener>
</mailtee>)", dir);
  ExpectProblem(r, "unknown element <upstream> inside <mailtee>", 2, false);
  EXPECT_EQ(FindProblem(r, "<upstream> inside")->hint, "<upstream> belongs inside <listener>");
  ExpectProblem(r, "unknown element <storage> inside <listener>", 5, false);
  EXPECT_EQ(FindProblem(r, "<storage> inside")->hint, "<storage> belongs inside <mailtee>");
}

TEST(LoaderListenerRules, InvalidAuthModeIsOneProblemNotAMisleadingWarning) {
  ScratchDir dir;
  LoadResult r = Load(R"(<mailtee>
  <listener name="a" protocol="smtp" port="1587" tls="starttls">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
    <auth mode="acount" user="u" password="hunter2"/>
  </listener>
</mailtee>)", dir);
  ExpectProblem(r, "'acount' is not a valid value for mode on <auth>", 4, false);
  EXPECT_EQ(r.problems.size(), 1u) << AllProblems(r);
  for (const Problem& p : r.problems) EXPECT_EQ(p.ToString().find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace mailtee::config
