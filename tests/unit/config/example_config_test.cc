// config/example.xml is what operators copy: it must load with no problem at all.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/loader.h"
#include "tests/unit/config/config_test_util.h"

namespace mailtee::config {
namespace {

using testing::AllProblems;
using testing::ScratchDir;

std::string ReadExample() {
  // __FILE__ is this test's absolute source path: tests/unit/config/ -> config/.
  const auto path = std::filesystem::path(__FILE__).parent_path() / "../../../config/example.xml";
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(ExampleConfig, LoadsCleanlyOnceItsPasswordFileExists) {
  // As installed: /etc/mailtee/mailtee.xml beside scanner.password.
  ScratchDir dir;
  const std::string path = dir.Write("mailtee.xml", ReadExample(), 0644);
  dir.Write("scanner.password", "scanner-password\n", 0600);
  LoadResult r = LoadFile(path);
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
    uint16_t upstream_port;
    TlsMode upstream_tls;
  };
  const Expected expected[] = {
      {"submission", Protocol::kSmtp, 587, TlsMode::kStartTls, 587, TlsMode::kStartTls},
      {"smtps", Protocol::kSmtp, 465, TlsMode::kImplicit, 465, TlsMode::kImplicit},
      {"pop3", Protocol::kPop3, 110, TlsMode::kStartTls, 995, TlsMode::kImplicit},
      {"pop3s", Protocol::kPop3, 995, TlsMode::kImplicit, 995, TlsMode::kImplicit},
      {"scanner", Protocol::kSmtp, 2525, TlsMode::kNone, 587, TlsMode::kStartTls},
  };
  for (size_t i = 0; i < 5; ++i) {
    const Listener& l = c.listeners[i];
    SCOPED_TRACE(l.name);
    EXPECT_EQ(l.name, expected[i].name);
    EXPECT_EQ(l.protocol, expected[i].protocol);
    EXPECT_EQ(l.port, expected[i].port);
    EXPECT_EQ(l.tls, expected[i].tls);
    ASSERT_TRUE(l.upstream.has_value());
    EXPECT_EQ(l.upstream->port, expected[i].upstream_port);
    EXPECT_EQ(l.upstream->tls, expected[i].upstream_tls);
    EXPECT_FALSE(l.allow.empty());
  }
  const Listener& scanner = c.listeners[4];
  EXPECT_EQ(scanner.auth.mode, AuthMode::kAccount);
  EXPECT_EQ(scanner.auth.password, "scanner-password");
  EXPECT_EQ(scanner.bare_newline, BareNewline::kNormalize);
}

TEST(ExampleConfig, WithoutThePasswordFileSaysWhichFileIsMissing) {
  ScratchDir dir;
  const std::string path = dir.Write("mailtee.xml", ReadExample(), 0644);
  LoadResult r = LoadFile(path);
  ASSERT_EQ(r.problems.size(), 1u) << AllProblems(r);
  EXPECT_NE(r.problems[0].message.find(dir.path() + "/scanner.password"), std::string::npos)
      << r.problems[0].ToString();
}

}  // namespace
}  // namespace mailtee::config
