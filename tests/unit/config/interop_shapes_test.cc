// The config shapes the interop suite and the load benchmarks write
// (tests/interop/mailtee_runner.py Mailtee.config_xml, tests/bench/load/
// smtp_bench.sh) load without errors, so a schema change fails here first,
// with the loader's own message, instead of in every interop test.
// Keep these strings in step with those writers.
#include <string>

#include "config/loader.h"
#include "tests/unit/config/config_test_util.h"

namespace mailtee::config {
namespace {

using testing::AllProblems;
using testing::ScratchDir;

// One listener as mailtee_runner.py writes it (127.0.0.1, a free port, the
// test CA as ca-file; verify off only when the upstream leg is plain).
std::string RunnerListener(const std::string& name, const std::string& protocol, const std::string& tls,
                           int port, int upstream_port, const std::string& upstream_tls,
                           const std::string& ca_file, const std::string& auth_and_allow) {
  const std::string verify = upstream_tls != "none" ? "true" : "false";
  return "  <listener name=\"" + name + "\" protocol=\"" + protocol + "\" address=\"127.0.0.1\" port=\"" +
         std::to_string(port) + "\" tls=\"" + tls + "\">\n" + "    <upstream host=\"127.0.0.1\" port=\"" +
         std::to_string(upstream_port) + "\" tls=\"" + upstream_tls + "\" verify=\"" + verify +
         "\" ca-file=\"" + ca_file + "\"/>\n" + auth_and_allow + "  </listener>\n";
}

std::string RunnerConfig(const ScratchDir& dir, const std::string& listeners) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<mailtee>\n  <storage dir=\"" + dir.path() +
         "/storage\"/>\n  <tls cert=\"" + dir.path() + "/pki/cert.pem\" key=\"" + dir.path() +
         "/pki/key.pem\"/>\n" + listeners + "</mailtee>\n";
}

class InteropShapes : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.Write("pki/cert.pem", "cert");
    dir_.Write("pki/key.pem", "key");
    ca_ = dir_.Write("pki/ca.pem", "ca");
  }
  ScratchDir dir_;
  std::string ca_;
};

TEST_F(InteropShapes, EveryTlsCombinationForBothProtocols) {
  const char* combos[][2] = {{"starttls", "starttls"}, {"implicit", "implicit"},
                             {"starttls", "implicit"}, {"implicit", "starttls"}};
  for (const std::string protocol : {"smtp", "pop3"}) {
    SCOPED_TRACE(protocol);
    std::string listeners;
    int port = 40000;
    for (const auto& combo : combos) {
      listeners += RunnerListener(protocol + "-" + combo[0] + "-" + combo[1], protocol, combo[0], port++, 10000,
                                  combo[1], ca_, "    <auth mode=\"passthrough\"/>\n");
    }
    if (protocol == "pop3") {  // the POP3 load benchmark: plain TCP on both legs
      listeners += RunnerListener("pop3-bench", "pop3", "none", port++, 10110, "none", ca_,
                                  "    <auth mode=\"passthrough\"/>\n");
    }
    LoadResult r = LoadString(RunnerConfig(dir_, listeners), "mailtee.xml", dir_.path());
    EXPECT_TRUE(r.ok()) << AllProblems(r);
    EXPECT_EQ(r.config.listeners.size(), protocol == "pop3" ? 5u : 4u);
    for (const Problem& p : r.problems) {
      // verify="false" on the plain bench leg is the only expected remark.
      EXPECT_NE(p.message.find("verify=\"false\""), std::string::npos) << p.ToString();
    }
  }
}

TEST_F(InteropShapes, AccountModeWithAllowListAsTheSmtpBenchmarkWritesIt) {
  const std::string runner = RunnerListener(
      "bench", "smtp", "none", 10025, 10026, "none", ca_,
      "    <auth mode=\"account\" user=\"bench\" password=\"bench-password\"/>\n"
      "    <allow network=\"127.0.0.1/32\"/>\n");
  LoadResult r = LoadString(RunnerConfig(dir_, runner), "mailtee.xml", dir_.path());
  EXPECT_TRUE(r.ok()) << AllProblems(r);
  ASSERT_EQ(r.config.listeners.size(), 1u);
  EXPECT_EQ(r.config.listeners[0].auth.password, "bench-password");

}

TEST_F(InteropShapes, NoneModeWithAllowListAsTheSmtpBenchmarkWritesIt) {
  // smtp_bench.sh's own heredoc: no <tls>, no ca-file; smtp-sink cannot do a
  // real AUTH (it answers 250), so the bench relays with auth mode="none".
  const std::string bench = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<mailtee>\n  <storage dir=\"" +
                            dir_.path() + "/storage\"/>\n" + R"(  <listener name="bench" protocol="smtp" address="127.0.0.1" port="10025" tls="none">
    <upstream host="127.0.0.1" port="10026" tls="none" verify="false"/>
    <auth mode="none"/>
    <allow network="127.0.0.1/32"/>
  </listener>
</mailtee>
)";
  LoadResult b = LoadString(bench, "mailtee.xml", dir_.path());
  EXPECT_TRUE(b.ok()) << AllProblems(b);
  ASSERT_EQ(b.config.listeners.size(), 1u);
  EXPECT_EQ(b.config.listeners[0].auth.mode, AuthMode::kNone);
}

}  // namespace
}  // namespace mailtee::config
