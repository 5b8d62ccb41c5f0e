// Real SMTP clients (swaks, Python smtplib from Debian's /usr/bin/python3)
// through SmtpProxy to the scripted provider: they pipeline, authenticate and
// stuff dots their own way. Skipped when the tool is not installed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "tests/integration/fake_smtp_upstream.h"
#include "tests/integration/smtp_test_harness.h"

namespace mailtee::smtp_testing {
namespace {

using ::testing::HasSubstr;

// Runs a command, returns its exit status and combined output.
int RunCommand(const std::string& command, std::string* output) {
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) output->append(buf, n);
  return pclose(p);
}

class SmtpRealClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    upstream_ = std::make_unique<FakeSmtpUpstream>(FakeSmtpUpstream::Options{});
    harness_.Start(SmtpHarness::MakeListener(upstream_->port()));
  }
  void TearDown() override {
    harness_.Stop();
    upstream_.reset();
  }
  SmtpHarness harness_;
  std::unique_ptr<FakeSmtpUpstream> upstream_;
};

TEST_F(SmtpRealClientTest, Swaks) {
  if (!std::filesystem::exists("/usr/bin/swaks")) GTEST_SKIP() << "swaks not installed";
  auto body = harness_.dir() / "swaks-body.eml";
  std::ofstream(body) << "Subject: swaks\r\n\r\n.starts with a dot\r\nend\r\n";
  std::string out;
  int rc = RunCommand("/usr/bin/swaks --server 127.0.0.1:" + std::to_string(harness_.port()) +
                   " --from alice@example.org --to bob@example.net --auth PLAIN --auth-user alice@example.org"
                   " --auth-password secret --pipeline --data @" + body.string(),
               &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_THAT(out, HasSubstr("250 2.0.0 Ok: queued as FAKE1"));
  auto recs = harness_.sink().records();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_THAT(recs[0].bytes, HasSubstr("\r\n.starts with a dot\r\n"));
  EXPECT_EQ(recs[0].context.user, "alice@example.org");
  ASSERT_EQ(upstream_->messages().size(), 1u);
  EXPECT_THAT(upstream_->messages()[0].data, HasSubstr("\r\n..starts with a dot\r\n"));
}

TEST_F(SmtpRealClientTest, PythonSmtplib) {
  if (!std::filesystem::exists("/usr/bin/python3")) GTEST_SKIP() << "python3 not installed";
  auto script = harness_.dir() / "send.py";
  std::ofstream(script) << "import smtplib, sys\n"
                           "s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=10)\n"
                           "s.ehlo('py.example')\n"
                           "s.login('alice@example.org', 'secret')\n"
                           "s.sendmail('alice@example.org', ['bob@example.net', 'carol@example.net'],\n"
                           "           'Subject: py\\r\\n\\r\\nline\\n.\\nafter lone dot\\r\\n')\n"
                           "s.quit()\n"
                           "print('sent')\n";
  std::string out;
  int rc = RunCommand("/usr/bin/python3 " + script.string() + " " + std::to_string(harness_.port()), &out);
  EXPECT_EQ(rc, 0) << out;
  auto recs = harness_.sink().records();
  ASSERT_EQ(recs.size(), 1u);
  // smtplib turns bare LF into CRLF and stuffs the lone dot; the archive has the unstuffed text.
  EXPECT_EQ(recs[0].bytes, "Subject: py\r\n\r\nline\r\n.\r\nafter lone dot\r\n");
  EXPECT_EQ(recs[0].context.envelope_to, (std::vector<std::string>{"bob@example.net", "carol@example.net"}));
}

}  // namespace
}  // namespace mailtee::smtp_testing
