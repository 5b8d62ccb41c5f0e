// RefusalLog: one line per interval, every refusal counted.
#include "proxy/net/refusal_log.h"

#include "tests/unit/net/net_test_util.h"

namespace mailtee::net::testing {
namespace {

using RefusalLogTest = NetTest;

TEST_F(RefusalLogTest, AFloodBecomesOneLineNowAndOneSummaryAfterTheInterval) {
  std::vector<std::string> lines;
  uint64_t counted = 0;
  {
    RefusalLog log(&loop_);
    log.set_write([&](const std::string& client, const std::string& reason, uint64_t more) {
      lines.push_back(client + ": " + reason + " more=" + std::to_string(more));
      counted += 1 + more;
    }, /*interval_ms=*/40);
    for (int i = 0; i < 5; ++i) log.Note("192.0.2." + std::to_string(i), "too many connections (limit 2)");
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(lines[0], "192.0.2.0: too many connections (limit 2) more=0");
    ASSERT_TRUE(RunUntil([&] { return counted == 5; }, 2000));
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[1], "192.0.2.4: too many connections (limit 2) more=3");
    // After a quiet interval the next refusal is written at once again.
    EXPECT_FALSE(RunUntil([] { return false; }, 60));  // let the interval pass
    log.Note("192.0.2.9", "out of file descriptors (EMFILE); refused with a busy reply");
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[2], "192.0.2.9: out of file descriptors (EMFILE); refused with a busy reply more=0");
  }
}

}  // namespace
}  // namespace mailtee::net::testing
