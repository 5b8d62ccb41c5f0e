// The approval relayer against a scripted SMTP provider: AUTH PLAIN and LOGIN
// with the relay account, head + file + tail streamed with dot-stuffing,
// refused recipients, refused login, unreachable provider.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <uv.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>

#include "proxy/approval/smtp_relayer.h"
#include "tests/integration/fake_smtp_upstream.h"

namespace mailtee::approval {
namespace {

using smtp_testing::FakeSmtpUpstream;

class ApprovalRelayerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    std::string tmpl = ::testing::TempDir() + "/relayer_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    for (int i = 0; i < 1000 && uv_loop_alive(&loop_); ++i) uv_run(&loop_, UV_RUN_NOWAIT);
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "relayer left libuv handles open";
    std::filesystem::remove_all(dir_);
  }

  RelayResult Relay(const RelayTarget& target, RelayMessage message) {
    std::optional<RelayResult> result;
    RelayMessageUpstream(&loop_, target, std::move(message), [&](const RelayResult& r) { result = r; });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!result && std::chrono::steady_clock::now() < deadline) uv_run(&loop_, UV_RUN_ONCE);
    EXPECT_TRUE(result.has_value()) << "relay never finished";
    return result.value_or(RelayResult{});
  }

  RelayTarget Target(uint16_t port) {
    RelayTarget t;
    t.host = "127.0.0.1";
    t.port = port;
    t.user = "alice@example.org";
    t.password = "secret";
    t.timeout_seconds = 5;
    return t;
  }

  uv_loop_t loop_;
  std::string dir_;
};

TEST_F(ApprovalRelayerTest, SendsHeadFileTailDotStuffedWithAuthPlain) {
  FakeSmtpUpstream upstream({});
  const std::string file = dir_ + "/orig.eml";
  // 200 KB with dot lines in the middle and a file not ending in CRLF.
  std::string body = "Subject: original\r\n\r\n.starts with a dot\r\n";
  for (int i = 0; i < 4000; ++i) body += "line " + std::to_string(i) + " ..................................\r\n";
  body += ".\r\n..two\r\nno final newline";
  std::ofstream(file, std::ios::binary) << body;
  RelayMessage m{"taro@company.example", {"a@customer.example", "b@customer.example"}, "X-Head: 1\r\n", file,
                 "\r\n.tail\r\n"};
  RelayResult r = Relay(Target(upstream.port()), m);
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.code, 250);
  ASSERT_TRUE(upstream.WaitFor([&] { return upstream.closed_connections() == 1; }));
  auto messages = upstream.messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_TRUE(messages[0].complete);
  EXPECT_EQ(messages[0].from, "taro@company.example");
  EXPECT_EQ(messages[0].recipients, (std::vector<std::string>{"a@customer.example", "b@customer.example"}));
  std::string expected_stuffed = "X-Head: 1\r\n" + body + "\r\n.tail\r\n";
  std::string stuffed;
  bool line_start = true;
  for (char c : expected_stuffed) {
    if (line_start && c == '.') stuffed += '.';
    stuffed += c;
    line_start = c == '\n';
  }
  EXPECT_EQ(messages[0].data, stuffed);
  auto commands = upstream.commands();
  ASSERT_GE(commands.size(), 2u);
  EXPECT_EQ(commands[1].rfind("AUTH PLAIN ", 0), 0u);
  EXPECT_EQ(commands.back(), "QUIT");
}

TEST_F(ApprovalRelayerTest, AuthLoginWhenPlainIsNotOfferedAndRefusedRecipientsAreReported) {
  FakeSmtpUpstream::Options o;
  o.ehlo_extensions = {"AUTH LOGIN", "8BITMIME"};
  o.rejected_recipients = {"gone@customer.example"};
  FakeSmtpUpstream upstream(o);
  RelayMessage m{"approval@mailtee.local", {"gone@customer.example", "ok@customer.example"}, "Subject: n\r\n\r\nhi\r\n",
                 "", ""};
  RelayResult r = Relay(Target(upstream.port()), m);
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.refused_recipients, std::vector<std::string>{"gone@customer.example"});
  auto messages = upstream.messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].recipients, std::vector<std::string>{"ok@customer.example"});
  EXPECT_EQ(messages[0].data, "Subject: n\r\n\r\nhi\r\n");
  auto commands = upstream.commands();
  EXPECT_EQ(commands[1], "AUTH LOGIN");
}

TEST_F(ApprovalRelayerTest, WrongPasswordIsAPermanentFailureNamingTheProvider) {
  FakeSmtpUpstream upstream({});
  RelayTarget t = Target(upstream.port());
  t.password = "wrong";
  RelayResult r = Relay(t, RelayMessage{"x@company.example", {"a@b.example"}, "Subject: s\r\n\r\nb\r\n", "", ""});
  EXPECT_FALSE(r.status.ok());
  EXPECT_EQ(r.code, 535);
  EXPECT_TRUE(r.permanent);
  EXPECT_NE(r.status.message().find("refused AUTH"), std::string::npos) << r.status.message();
  EXPECT_NE(r.status.message().find("127.0.0.1:" + std::to_string(upstream.port())), std::string::npos);
  EXPECT_TRUE(upstream.messages().empty());
}

TEST_F(ApprovalRelayerTest, AllRecipientsRefusedSendsNothing) {
  FakeSmtpUpstream::Options o;
  o.rejected_recipients = {"a@b.example"};
  FakeSmtpUpstream upstream(o);
  RelayResult r = Relay(Target(upstream.port()), RelayMessage{"x@company.example", {"a@b.example"}, "S: s\r\n\r\n", "", ""});
  EXPECT_FALSE(r.status.ok());
  EXPECT_EQ(r.code, 550);
  EXPECT_TRUE(upstream.messages().empty());
}

TEST_F(ApprovalRelayerTest, ProviderRefusingTheMessageIsReported) {
  FakeSmtpUpstream::Options o;
  o.data_reply = "452 4.3.1 mailbox full";
  FakeSmtpUpstream upstream(o);
  RelayResult r = Relay(Target(upstream.port()), RelayMessage{"x@company.example", {"a@b.example"}, "S: s\r\n\r\n", "", ""});
  EXPECT_FALSE(r.status.ok());
  EXPECT_EQ(r.code, 452);
  EXPECT_FALSE(r.permanent);
}

TEST_F(ApprovalRelayerTest, UnreachableProviderAndMissingFileFail) {
  RelayResult r = Relay(Target(1), RelayMessage{"x@company.example", {"a@b.example"}, "S: s\r\n\r\n", "", ""});
  EXPECT_FALSE(r.status.ok());
  EXPECT_EQ(r.code, 0);
  FakeSmtpUpstream upstream({});
  r = Relay(Target(upstream.port()), RelayMessage{"x@company.example", {"a@b.example"}, "", dir_ + "/missing.eml", ""});
  EXPECT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find("missing.eml"), std::string::npos);
  // The provider never saw an end of data: nothing was delivered.
  ASSERT_TRUE(upstream.WaitFor([&] { return upstream.closed_connections() == 1; }));
  for (const auto& m : upstream.messages()) EXPECT_FALSE(m.complete);
}

}  // namespace
}  // namespace mailtee::approval
