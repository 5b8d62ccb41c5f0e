// A complete, valid config is read into the typed Config field by field.
#include <sys/socket.h>

#include "config/loader.h"
#include "tests/unit/config/config_test_util.h"

namespace mailtee::config {
namespace {

using testing::AllProblems;
using testing::ScratchDir;

TEST(LoaderValid, FullConfigIsReadIntoTypedFields) {
  ScratchDir dir;
  dir.Write("tls/server.pem", "cert");
  dir.Write("tls/server.key", "key");
  dir.Write("ca.pem", "ca");
  dir.Write("scanner.pw", "s3cret\n");
  const std::string xml = R"(<mailtee>
  <storage dir="data"/>
  <tls cert="tls/server.pem" key="tls/server.key"/>
  <logs retention-days="30" transcripts="false"/>
  <listener name="submission" protocol="smtp" address="0.0.0.0" port="587" tls="starttls"
            bare-newline="normalize" max-message-size="52428800" max-connections-per-ip="5">
    <upstream host="smtp.provider.example" port="587" tls="starttls" verify="true" ca-file="ca.pem"/>
    <auth mode="passthrough"/>
    <allow network="192.168.0.0/16"/>
    <allow network="2001:db8::/32"/>
    <timeouts greeting="30" command="60" data-block="90" data-end="120" idle="700"/>
  </listener>
  <listener name="scanner" protocol="smtp" address="192.168.1.10" port="2525" tls="starttls">
    <upstream host="smtp.provider.example" port="465" tls="implicit"/>
    <auth mode="account" user="scanner@office.example" password-file="scanner.pw"/>
    <allow network="192.168.1.0/24"/>
  </listener>
  <listener name="pop3s" protocol="pop3" address="::" port="995" tls="implicit">
    <upstream host="pop.provider.example" port="995" tls="implicit"/>
  </listener>
</mailtee>
)";
  LoadResult r = LoadString(xml, "office.xml", dir.path());
  ASSERT_TRUE(r.ok()) << AllProblems(r);
  EXPECT_TRUE(r.problems.empty()) << AllProblems(r);
  const Config& c = r.config;
  EXPECT_EQ(c.source, "office.xml");
  EXPECT_EQ(c.storage_dir, dir.path() + "/data");
  ASSERT_TRUE(c.tls.has_value());
  EXPECT_EQ(c.tls->cert, dir.path() + "/tls/server.pem");
  EXPECT_EQ(c.tls->key, dir.path() + "/tls/server.key");
  EXPECT_EQ(c.tls->line, 3);
  EXPECT_EQ(c.logs.retention_days, 30);
  EXPECT_FALSE(c.logs.transcripts);
  ASSERT_EQ(c.listeners.size(), 3u);

  const Listener& sub = c.listeners[0];
  EXPECT_EQ(sub.name, "submission");
  EXPECT_EQ(sub.protocol, Protocol::kSmtp);
  EXPECT_EQ(sub.address, "0.0.0.0");
  EXPECT_EQ(sub.port, 587);
  EXPECT_EQ(sub.tls, TlsMode::kStartTls);
  EXPECT_EQ(sub.bare_newline, BareNewline::kNormalize);
  EXPECT_EQ(sub.max_message_bytes, 52428800u);
  EXPECT_EQ(sub.max_connections_per_ip, 5);
  EXPECT_EQ(sub.line, 5);
  ASSERT_TRUE(sub.upstream.has_value());
  EXPECT_EQ(sub.upstream->host, "smtp.provider.example");
  EXPECT_EQ(sub.upstream->port, 587);
  EXPECT_EQ(sub.upstream->tls, TlsMode::kStartTls);
  EXPECT_TRUE(sub.upstream->verify);
  EXPECT_EQ(sub.upstream->ca_file, dir.path() + "/ca.pem");
  EXPECT_EQ(sub.upstream->line, 7);
  EXPECT_EQ(sub.auth.mode, AuthMode::kPassthrough);
  ASSERT_EQ(sub.allow.size(), 2u);
  EXPECT_EQ(sub.allow[0].family, AF_INET);
  EXPECT_EQ(sub.allow[0].prefix_length, 16);
  EXPECT_EQ(sub.allow[1].family, AF_INET6);
  EXPECT_EQ(sub.allow[1].text, "2001:db8::/32");
  EXPECT_EQ(sub.timeouts.greeting, 30);
  EXPECT_EQ(sub.timeouts.command, 60);
  EXPECT_EQ(sub.timeouts.data_block, 90);
  EXPECT_EQ(sub.timeouts.data_end, 120);
  EXPECT_EQ(sub.timeouts.idle, 700);

  const Listener& scanner = c.listeners[1];
  EXPECT_EQ(scanner.auth.mode, AuthMode::kAccount);
  EXPECT_EQ(scanner.auth.user, "scanner@office.example");
  EXPECT_EQ(scanner.auth.password, "s3cret");  // first line, newline stripped
  EXPECT_EQ(scanner.auth.line, 15);
  EXPECT_EQ(scanner.upstream->tls, TlsMode::kImplicit);

  const Listener& pop = c.listeners[2];
  EXPECT_EQ(pop.protocol, Protocol::kPop3);
  EXPECT_EQ(pop.address, "::");
  EXPECT_EQ(pop.upstream->port, 995);
}

TEST(LoaderValid, DefaultsApplyWhenOptionalPartsAreOmitted) {
  ScratchDir dir;
  const std::string xml = R"(<mailtee>
  <listener name="sub" protocol="smtp" port="1587" tls="starttls">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
  </listener>
</mailtee>)";
  LoadResult r = LoadString(xml, "test.xml", dir.path());
  ASSERT_TRUE(r.problems.empty()) << AllProblems(r);
  const Config& c = r.config;
  EXPECT_EQ(c.storage_dir, "/var/lib/mailtee");
  EXPECT_FALSE(c.tls.has_value());
  EXPECT_EQ(c.logs.retention_days, 90);
  const Listener& l = c.listeners.at(0);
  EXPECT_EQ(l.address, "127.0.0.1");
  EXPECT_EQ(l.bare_newline, BareNewline::kReject);
  EXPECT_EQ(l.max_message_bytes, 0u);
  EXPECT_EQ(l.max_connections_per_ip, 20);
  EXPECT_EQ(l.auth.mode, AuthMode::kPassthrough);
  EXPECT_TRUE(l.allow.empty());
  EXPECT_TRUE(l.upstream->verify);
  EXPECT_EQ(l.upstream->ca_file, "");
  EXPECT_EQ(l.timeouts.greeting, 300);
  EXPECT_EQ(l.timeouts.idle, 600);
}

TEST(LoaderValid, AbsolutePathsAreKeptAsWritten) {
  ScratchDir dir;
  const std::string pw = dir.Write("pw", "x");
  const std::string xml = R"(<mailtee>
  <storage dir="/srv/mailtee"/>
  <listener name="scan" protocol="smtp" port="2525" tls="none">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
    <auth mode="account" user="u" password-file=")" + pw + R"("/>
    <allow network="127.0.0.1"/>
  </listener>
</mailtee>)";
  LoadResult r = LoadString(xml, "test.xml", "/somewhere/else");
  ASSERT_TRUE(r.problems.empty()) << AllProblems(r);
  EXPECT_EQ(r.config.storage_dir, "/srv/mailtee");
  EXPECT_EQ(r.config.listeners.at(0).auth.password, "x");
}

TEST(LoaderValid, LoadFileResolvesRelativePathsAgainstTheFilesFolder) {
  ScratchDir dir;
  const std::string path = dir.Write("etc/mailtee.xml", R"(<mailtee>
  <storage dir="state"/>
  <listener name="sub" protocol="smtp" port="1587" tls="starttls">
    <upstream host="smtp.example.net" port="587" tls="starttls"/>
  </listener>
</mailtee>)");
  LoadResult r = LoadFile(path);
  ASSERT_TRUE(r.problems.empty()) << AllProblems(r);
  EXPECT_EQ(r.config.source, path);
  EXPECT_EQ(r.config.storage_dir, dir.path() + "/etc/state");
}

TEST(LoaderValid, UnreadableConfigFileIsOneProblemNamingPathAndCause) {
  LoadResult r = LoadFile("/nonexistent/mailtee.xml");
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.problems[0].file, "/nonexistent/mailtee.xml");
  EXPECT_NE(r.problems[0].message.find("/nonexistent/mailtee.xml"), std::string::npos);
  EXPECT_NE(r.problems[0].message.find("No such file or directory"), std::string::npos);
}

TEST(LoaderValid, ConfigThatIsNotARegularFileIsRefusedWithoutHanging) {
  LoadResult r = LoadFile("/dev/zero");
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].message.find("not a regular file"), std::string::npos);
}

TEST(LoaderValid, EmbeddedDefaultLoadsWithoutUpstreams) {
  LoadResult r = LoadEmbeddedDefault();
  EXPECT_TRUE(r.ok()) << AllProblems(r);
  EXPECT_TRUE(r.problems.empty()) << AllProblems(r);
  EXPECT_EQ(r.config.source, "<embedded default>");
  ASSERT_EQ(r.config.listeners.size(), 2u);
  for (const Listener& l : r.config.listeners) EXPECT_FALSE(l.upstream.has_value()) << l.name;
  // Relative storage resolves against the current directory, absolutely.
  EXPECT_EQ(r.config.storage_dir.front(), '/');
  EXPECT_NE(std::string(EmbeddedDefaultXml()).find("<mailtee>"), std::string::npos);
}

TEST(LoaderValid, EmbeddedSourceNameAllowsMissingUpstreamInLoadString) {
  LoadResult r = LoadString(EmbeddedDefaultXml(), "<embedded default>", "/tmp");
  EXPECT_TRUE(r.ok()) << AllProblems(r);
  LoadResult named = LoadString(EmbeddedDefaultXml(), "mailtee.xml", "/tmp");
  EXPECT_FALSE(named.ok());
  EXPECT_NE(testing::FindProblem(named, "has no <upstream>"), nullptr) << AllProblems(named);
}

}  // namespace
}  // namespace mailtee::config
