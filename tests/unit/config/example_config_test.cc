// config/example.xml is what operators copy: it must load with no problem at all.
//
// Its scanner listener names /etc/mailtee/scanner.pass, which a test machine
// does not have. Rather than tolerating that one error (which would also hide a
// real regression in the password-file rule), the test copies the example into
// a scratch folder, creates the password file there (mode 600) and points the
// copy at it: the rest of the example is loaded exactly as written.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/loader.h"
#include "tests/unit/config/config_test_util.h"

namespace mailtee::config {
namespace {

using testing::AllProblems;
using testing::RepoRoot;
using testing::ScratchDir;

constexpr const char* kExamplePasswordFile = "/etc/mailtee/scanner.pass";

std::string ReadExample() {
  const std::string path = RepoRoot() + "/config/example.xml";
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The example with its password-file attribute pointed at `path` instead.
std::string ExamplePointingAt(const std::string& path) {
  std::string xml = ReadExample();
  const std::string attribute = std::string("password-file=\"") + kExamplePasswordFile + "\"";
  const size_t at = xml.find(attribute);
  EXPECT_NE(at, std::string::npos) << "example.xml no longer has " << attribute;
  if (at == std::string::npos) return xml;
  EXPECT_EQ(xml.find(attribute, at + 1), std::string::npos) << "more than one " << attribute;
  xml.replace(at, attribute.size(), "password-file=\"" + path + "\"");
  return xml;
}

TEST(ExampleConfig, LoadsWithNoProblemOnceItsPasswordFileExists) {
  ScratchDir dir;
  const std::string password_file = dir.Write("scanner.pass", "scanner-password\n", 0600);
  const std::string path = dir.Write("mailtee.xml", ExamplePointingAt(password_file), 0644);
  LoadResult r = LoadFile(path);
  EXPECT_TRUE(r.ok()) << AllProblems(r);
  EXPECT_TRUE(r.problems.empty()) << AllProblems(r);

  const Config& c = r.config;
  EXPECT_EQ(c.storage_dir, "/var/lib/mailtee");
  EXPECT_FALSE(c.tls.has_value());
  ASSERT_EQ(c.listeners.size(), 5u);
  struct Expected {
    const char* name;
    Protocol protocol;
    uint16_t port;
    TlsMode tls;
    const char* upstream_host;
    uint16_t upstream_port;
    TlsMode upstream_tls;
  };
  const Expected expected[] = {
      {"submission", Protocol::kSmtp, 587, TlsMode::kStartTls, "smtp.provider.example", 587, TlsMode::kStartTls},
      {"smtps", Protocol::kSmtp, 465, TlsMode::kImplicit, "smtp.provider.example", 465, TlsMode::kImplicit},
      {"pop3", Protocol::kPop3, 110, TlsMode::kStartTls, "pop.provider.example", 995, TlsMode::kImplicit},
      {"pop3s", Protocol::kPop3, 995, TlsMode::kImplicit, "pop.provider.example", 995, TlsMode::kImplicit},
      {"scanner", Protocol::kSmtp, 2525, TlsMode::kStartTls, "smtp.provider.example", 587, TlsMode::kStartTls},
  };
  for (size_t i = 0; i < 5; ++i) {
    const Listener& l = c.listeners[i];
    SCOPED_TRACE(l.name);
    EXPECT_EQ(l.name, expected[i].name);
    EXPECT_EQ(l.protocol, expected[i].protocol);
    EXPECT_EQ(l.port, expected[i].port);
    EXPECT_EQ(l.tls, expected[i].tls);
    ASSERT_TRUE(l.upstream.has_value());
    EXPECT_EQ(l.upstream->host, expected[i].upstream_host);
    EXPECT_EQ(l.upstream->port, expected[i].upstream_port);
    EXPECT_EQ(l.upstream->tls, expected[i].upstream_tls);
    EXPECT_TRUE(l.upstream->verify);
    EXPECT_FALSE(l.allow.empty());
  }
  const Listener& scanner = c.listeners[4];
  EXPECT_EQ(scanner.auth.mode, AuthMode::kAccount);
  EXPECT_EQ(scanner.auth.user, "scanner@office.example");
  EXPECT_EQ(scanner.auth.password, "scanner-password");
  EXPECT_EQ(scanner.bare_newline, BareNewline::kNormalize);
  EXPECT_TRUE(scanner.require_tls);  // the example shows it where clients send mail without a login
  EXPECT_FALSE(c.listeners[0].require_tls);
  EXPECT_EQ(c.daemon.user, "mailtee");
  ASSERT_EQ(scanner.allow.size(), 1u);
  EXPECT_EQ(scanner.allow[0].text, "192.168.10.0/24");
}

TEST(ExampleConfig, AsShippedItsOnlyProblemIsTheMissingPasswordFile) {
  if (std::filesystem::exists(kExamplePasswordFile)) GTEST_SKIP() << kExamplePasswordFile << " exists here";
  ScratchDir dir;
  const std::string path = dir.Write("mailtee.xml", ReadExample(), 0644);
  LoadResult r = LoadFile(path);
  ASSERT_EQ(r.problems.size(), 1u) << AllProblems(r);
  EXPECT_FALSE(r.problems[0].warning);
  EXPECT_NE(r.problems[0].message.find(std::string("password-file: cannot read ") + kExamplePasswordFile),
            std::string::npos)
      << r.problems[0].ToString();
}

}  // namespace
}  // namespace mailtee::config
