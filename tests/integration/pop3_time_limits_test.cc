// POP3 time limits that arriving bytes do not reset (issue 13 item 11,
// docs/pop3.md "Time limits"): the per-line deadline, the whole-session
// ceiling and the minimum rate at which a client reads a response body.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "tests/integration/fake_pop3_upstream.h"
#include "tests/integration/pop3_test_harness.h"

namespace mailtee::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

FakeMailbox OneMessage() {
  FakeMailbox mb;
  mb.messages.push_back("Subject: one\r\n\r\nhello\r\n");
  return mb;
}

TEST(Pop3TimeLimits, CommandLineTrickledByteByByteIsCutAtTheLineDeadline) {
  FakePop3Upstream upstream(OneMessage(), {});
  Pop3Harness h;
  config::Listener l = Pop3Harness::MakeListener(upstream.port());
  l.timeouts.line_ms = 200;
  h.Start(l);
  Pop3TestClient c(h.port());
  ASSERT_EQ(c.ReadLine().substr(0, 3), "+OK");
  auto start = steady_clock::now();
  const std::string line = "USER alice-sent-one-byte-every-30-ms\r\n";
  for (char ch : line) {
    if (steady_clock::now() - start > milliseconds(500)) break;
    c.Send(std::string(1, ch));
    std::this_thread::sleep_for(milliseconds(30));
  }
  EXPECT_EQ(c.ReadUntilClose(), "-ERR [SYS/TEMP] timeout (command line not completed within 200 ms)\r\n");
  EXPECT_LT(steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_TRUE(upstream.commands().empty());
  EXPECT_NE(h.LogText("connections").find("client timeout (command line not completed within 200 ms)"),
            std::string::npos);
}

TEST(Pop3TimeLimits, SessionCeilingClosesAnActiveSession) {
  FakePop3Upstream upstream(OneMessage(), {});
  Pop3Harness h;
  config::Listener l = Pop3Harness::MakeListener(upstream.port());
  l.timeouts.session_ms = 400;
  h.Start(l);
  Pop3TestClient c(h.port());
  ASSERT_EQ(c.ReadLine().substr(0, 3), "+OK");
  auto start = steady_clock::now();
  std::string last;
  while (steady_clock::now() - start < std::chrono::seconds(5)) {  // a command every 50 ms
    c.Send("USER alice\r\n");
    last = c.ReadLine();
    if (last.rfind("+OK", 0) != 0) break;
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_EQ(last, "-ERR [SYS/TEMP] timeout (session time limit of 400 ms reached)\r\n");
  EXPECT_EQ(c.ReadUntilClose(), "");
  EXPECT_NE(h.LogText("connections").find("client timeout (session time limit of 400 ms reached)"),
            std::string::npos);
}

TEST(Pop3TimeLimits, RetrReadBelowTheMinimumRateIsCutOffAndNotArchived) {
  FakeMailbox mb;
  std::string body;
  // Larger than what the kernel's socket buffers on both legs can absorb
  // (several MiB), so the proxy's own queue fills and it pauses the provider.
  while (body.size() < (24u << 20)) body += "a line of a big message, read far too slowly\r\n";
  mb.messages.push_back("Subject: big\r\n\r\n" + body);
  FakePop3Upstream upstream(mb, {});
  Pop3Harness h;
  config::Listener l = Pop3Harness::MakeListener(upstream.port());
  l.timeouts.data_block = 1;              // the slack: 1 s of the client's time ...
  l.timeouts.min_data_rate = 50 << 20;    // ... plus 20 ms per MiB of the response
  h.Start(l);
  Pop3TestClient c(h.port());
  ASSERT_EQ(c.ReadLine().substr(0, 3), "+OK");
  c.Send("USER alice\r\n");
  ASSERT_EQ(c.ReadLine().substr(0, 3), "+OK");
  c.Send("PASS secret\r\n");
  ASSERT_EQ(c.ReadLine().substr(0, 3), "+OK");
  c.Send("RETR 1\r\n");
  auto start = steady_clock::now();
  uint64_t got = 0;
  auto cut_off = [&] {
    auto e = h.sink().entries();
    return e.size() == 1 && e[0].aborted;
  };
  // About 200 KB/s, each read well inside the 10 s idle timeout, but far
  // below the minimum rate: the client, not the provider or the archive, is
  // the bottleneck, so the proxy keeps pausing the provider for it. (After the
  // cut the client could still read for seconds what the kernel buffered.)
  while (!cut_off() && steady_clock::now() - start < std::chrono::seconds(8)) {
    size_t n = c.ReadSome(4 << 10);
    if (n == 0) break;
    got += n;
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_TRUE(cut_off());
  EXPECT_LT(steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_LT(got, mb.messages[0].size());
  EXPECT_NE(h.LogText("connections").find("client timeout (reading slower than 52428800 bytes/s on average)"),
            std::string::npos);
  EXPECT_EQ(h.sink().committed(), 0);
}

}  // namespace
}  // namespace mailtee::testing
