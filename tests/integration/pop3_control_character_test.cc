// A command line with a control character inside (a bare CR, NUL, DEL) is
// refused by mailtee itself: never relayed (a provider ending lines at CR would
// see a smuggled second command) and never logged (it may carry a password).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/integration/fake_pop3_upstream.h"
#include "tests/integration/pop3_test_harness.h"

namespace mailtee::testing {
namespace {

FakeMailbox OneMessage() {
  FakeMailbox mb;
  mb.messages.push_back("From: bob@example.org\r\nSubject: one\r\n\r\nhello\r\n");
  return mb;
}

// Every file under the storage folder (logs, archive, spool) that holds needle.
std::vector<std::string> FilesContaining(const std::filesystem::path& dir, const std::string& needle) {
  std::vector<std::string> hits;
  for (auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    if (Pop3Harness::ReadFile(e.path()).find(needle) != std::string::npos) hits.push_back(e.path().string());
  }
  return hits;
}

TEST(Pop3ControlCharacters, BareCrCommandIsRefusedNotRelayedNotLogged) {
  FakePop3Upstream upstream(OneMessage(), {});
  Pop3Harness h;
  h.Start(Pop3Harness::MakeListener(upstream.port()));
  Pop3TestClient c(h.port());
  c.ReadLine();
  c.Send("USER a\rPASS secret\r\n");
  EXPECT_EQ(c.ReadLine(), "-ERR invalid character in command\r\n");
  c.Send(std::string("USER a\0PASS secret\r\n", 20));
  EXPECT_EQ(c.ReadLine(), "-ERR invalid character in command\r\n");
  c.Send("PASS secret\x7f\r\n");
  EXPECT_EQ(c.ReadLine(), "-ERR invalid character in command\r\n");
  // The session goes on; NOOP is relayed (the provider refuses it before login).
  c.Send("NOOP\r\n");
  EXPECT_EQ(c.ReadLine().substr(0, 4), "-ERR");
  for (const std::string& line : upstream.commands()) {
    EXPECT_EQ(line.find("secret"), std::string::npos) << "relayed: " << line;
    EXPECT_EQ(line.find("USER"), std::string::npos) << "relayed: " << line;
  }
  EXPECT_TRUE(upstream.received("NOOP"));
  c.Send("QUIT\r\n");
  c.ReadUntilClose();
  h.Stop();
  EXPECT_NE(h.LogText("pop3").find("invalid character in command"), std::string::npos);
  EXPECT_TRUE(FilesContaining(h.dir(), "secret").empty()) << FilesContaining(h.dir(), "secret")[0];
}

TEST(Pop3ControlCharacters, SaslResponseWithControlCharacterCancelsTheExchange) {
  FakePop3Upstream upstream(OneMessage(), {});
  Pop3Harness h;
  h.Start(Pop3Harness::MakeListener(upstream.port()));
  Pop3TestClient c(h.port());
  c.ReadLine();
  c.Send("AUTH LOGIN\r\n");
  EXPECT_EQ(c.ReadLine(), "+ VXNlcm5hbWU6\r\n");
  // "YWxpY2U=" is alice; the bare CR would smuggle a PASS to a CR-splitting provider.
  c.Send("YWxpY2U=\rPASS secret\r\n");
  // The fake provider answers "-ERR cancelled" only to "*": the line was replaced.
  EXPECT_EQ(c.ReadLine(), "-ERR cancelled\r\n");
  c.Send("STAT\r\n");  // back in command mode, not logged in
  EXPECT_EQ(c.ReadLine(), "-ERR not logged in\r\n");
  for (const std::string& line : upstream.commands()) {
    EXPECT_EQ(line.find("secret"), std::string::npos) << "relayed: " << line;
  }
  c.Send("QUIT\r\n");
  c.ReadUntilClose();
  h.Stop();
  EXPECT_TRUE(FilesContaining(h.dir(), "secret").empty());
  EXPECT_TRUE(FilesContaining(h.dir(), "YWxpY2U=").empty()) << "SASL data is never logged";
}

}  // namespace
}  // namespace mailtee::testing
