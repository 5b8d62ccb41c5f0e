// Approval log: one line per event in the day's file, quoting, pruning.
#include "proxy/approval/approval_log.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/unit/approval/approval_test_util.h"

namespace mailtee::approval {
namespace {

std::string Slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(ApprovalLogTest, OneLinePerEventInTodaysFile) {
  testing::TempDir dir;
  auto now = std::chrono::system_clock::now();
  ApprovalLog log(dir.path() + "/logs", 90, false, [&] { return now; });
  ASSERT_TRUE(log.Open().ok());
  ApprovalEvent e{"approve", "id-1", "jicho@company.example", "bucho@company.example", "192.0.2.7", "web",
                  "taro@company.example", {"a@customer.example", "b@customer.example"}, "お見積り \"v2\"\r\nBcc: x", "", ""};
  ASSERT_TRUE(log.Write(e).ok());
  ASSERT_TRUE(log.Write(ApprovalEvent{"refused", "id-1", "kacho@company.example", "", "192.0.2.8", "mail", "", {}, "",
                                      "token signature mismatch (forged or altered)", ""}).ok());
  const std::string text = Slurp(log.PathFor(now));
  EXPECT_NE(text.find(" approve id=id-1 by=jicho@company.example for=bucho@company.example ip=192.0.2.7 via=web "
                      "from=taro@company.example to=a@customer.example,b@customer.example "
                      "subject=\"お見積り \\\"v2\\\"\\r\\nBcc: x\"\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(" refused id=id-1 by=kacho@company.example ip=192.0.2.8 via=mail "
                      "reason=\"token signature mismatch (forged or altered)\"\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
  const std::string name = log.PathFor(now).substr(log.PathFor(now).rfind('/') + 1);
  EXPECT_EQ(log.PathFor(now), dir.path() + "/logs/approval/" + name);
  EXPECT_EQ(name.size(), 12u);  // YYYYMMDD.log
}

// A subject or address from mail carrying ESC/NUL is escaped like every log line (archive::EscapeLogText).
TEST(ApprovalLogTest, ControlBytesAreEscaped) {
  testing::TempDir dir;
  auto now = std::chrono::system_clock::now();
  ApprovalLog log(dir.path() + "/logs", 90, false, [&] { return now; });
  ASSERT_TRUE(log.Open().ok());
  ApprovalEvent e;
  e.event = "held";
  e.held_id = "id-2";
  e.sender = std::string("taro\x1b[2J@company.example", 24);
  e.subject = std::string("見積\0\x1b]0;x\x07", 13);
  ASSERT_TRUE(log.Write(e).ok());
  const std::string text = Slurp(log.PathFor(now));
  EXPECT_NE(text.find(" held id=id-2 from=taro\\x1b[2J@company.example subject=\"見積\\x00\\x1b]0;x\\x07\"\n"),
            std::string::npos)
      << text;
}

TEST(ApprovalLogTest, PruneRemovesFilesPastRetention) {
  testing::TempDir dir;
  auto now = std::chrono::system_clock::now();
  ApprovalLog log(dir.path() + "/logs", 10, false, [&] { return now; });
  ASSERT_TRUE(log.Open().ok());
  const std::string old_path = log.PathFor(now - std::chrono::hours(24 * 11));
  const std::string recent = log.PathFor(now - std::chrono::hours(24 * 9));
  std::ofstream(old_path) << "x\n";
  std::ofstream(recent) << "y\n";
  std::ofstream(dir.path() + "/logs/approval/notes.txt") << "keep\n";
  log.Prune();
  EXPECT_FALSE(std::filesystem::exists(old_path));
  EXPECT_TRUE(std::filesystem::exists(recent));
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/logs/approval/notes.txt"));
}

TEST(ApprovalLogTest, ObserversSeeEveryEventUntilRemoved) {
  testing::TempDir dir;
  ApprovalLog log(dir.path() + "/logs", 90, false);
  ASSERT_TRUE(log.Open().ok());
  std::vector<std::string> seen;
  const int id = log.AddObserver([&](const ApprovalEvent& e) { seen.push_back(e.event + " " + e.listener); });
  ApprovalEvent relayed;
  relayed.event = "relayed";
  relayed.held_id = "id-1";
  relayed.listener = "submission";
  ASSERT_TRUE(log.Write(relayed).ok());
  // The listener is for observers only: the line stays as documented.
  EXPECT_EQ(Slurp(log.PathFor(std::chrono::system_clock::now())).find("submission"), std::string::npos);
  log.RemoveObserver(id);
  ASSERT_TRUE(log.Write(relayed).ok());
  EXPECT_EQ(seen, std::vector<std::string>{"relayed submission"});
}

}  // namespace
}  // namespace mailtee::approval
