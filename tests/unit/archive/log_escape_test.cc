// Every log line is escaped the same way (issue 13 item 14): control bytes a
// client put into a login, a command or a reply (ESC, NUL, bare CR, C1) never
// reach the files raw; UTF-8 text (Japanese) is kept as it is.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "archive/local_time.h"
#include "archive/log_book.h"
#include "archive/session_event.h"

namespace mailtee::archive {
namespace {

namespace fs = std::filesystem;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(EscapeLogText, ControlBytesBecomeVisibleEscapes) {
  EXPECT_EQ(EscapeLogText(std::string("a\x1b[2Jb\0c", 8)), "a\\x1b[2Jb\\x00c");
  EXPECT_EQ(EscapeLogText("x\x07y\x7fz"), "x\\x07y\\x7fz");
  EXPECT_EQ(EscapeLogText("250-a\r\n250 b"), "250-a\\n250 b");  // as before: one line, \n visible
  EXPECT_EQ(EscapeLogText("a\nb"), "a\\nb");
  EXPECT_EQ(EscapeLogText("over\rwrite"), "over\\rwrite");  // a lone CR would overwrite the terminal line
  EXPECT_EQ(EscapeLogText("tab\tkept"), "tab\tkept");
  EXPECT_EQ(EscapeLogText("c1 \xc2\x9b" "31m"), "c1 \\xc2\\x9b31m");
}

TEST(EscapeLogText, Utf8TextIsKept) {
  const std::string japanese = "件名: お見積り 田中太郎 \xc2\xa9 ü";
  EXPECT_EQ(EscapeLogText(japanese), japanese);
}

class LogEscapeFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/log_escape_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string root_;
};

// Plain lines, transcripts and session events all pass the one escaping.
TEST_F(LogEscapeFileTest, TranscriptAndEventLinesAreEscapedInTheFileAndForObservers) {
  const auto now = std::chrono::system_clock::now();
  LogBook log(root_ + "/logs", 30, false, [now] { return now; });
  ASSERT_TRUE(log.Open().ok());
  std::vector<std::string> seen;
  int id = log.AddObserver([&](LogKind, std::string_view line, const SessionEvent*) { seen.emplace_back(line); });
  log.Write(LogKind::kTranscript, std::string("smtp/s#1 C> EHLO \x1b]0;pwned\x07 \0x \xe6\x97\xa5\xe6\x9c\xac", 37));
  SessionEvent e;
  e.kind = LogKind::kConnections;
  e.type = SessionEvent::Type::kAuthFailed;
  e.source = "smtp/s#1";
  e.text = std::string("auth user=\x1b[31mroot\0 result=535", 31);
  log.Record(e);
  log.RemoveObserver(id);
  const std::string day = LocalDayStamp(now);
  const std::string ts = LocalIsoTimestamp(now) + " ";
  EXPECT_EQ(Slurp(root_ + "/logs/transcript/" + day + ".log"),
            ts + "smtp/s#1 C> EHLO \\x1b]0;pwned\\x07 \\x00x \xe6\x97\xa5\xe6\x9c\xac\n");
  EXPECT_EQ(Slurp(root_ + "/logs/connections/" + day + ".log"),
            ts + "smtp/s#1 auth user=\\x1b[31mroot\\x00 result=535\n");
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1], "smtp/s#1 auth user=\\x1b[31mroot\\x00 result=535");
}

}  // namespace
}  // namespace mailtee::archive
