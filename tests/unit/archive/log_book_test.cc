// LogBook: daily files per kind, local timestamps, date rollover, pruning.
#include "archive/log_book.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "archive/local_time.h"

namespace mailtee::archive {
namespace {

namespace fs = std::filesystem;
using std::chrono::hours;
using std::chrono::system_clock;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class LogBookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/log_book_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = std::string(tmpl) + "/logs";
    // Noon local time keeps "one day later" on the next local date in every zone.
    time_t t = 1795537224;
    struct tm local;
    localtime_r(&t, &local);
    local.tm_hour = 12;
    local.tm_min = local.tm_sec = 0;
    now_ = system_clock::from_time_t(mktime(&local));
  }
  void TearDown() override { fs::remove_all(fs::path(dir_).parent_path()); }
  LogBook::Clock clock() {
    return [this] { return now_; };
  }
  std::string dir_;
  system_clock::time_point now_;
};

TEST_F(LogBookTest, WritesOneTimestampedLinePerEventIntoTodaysFile) {
  LogBook log(dir_, 30, false, clock());
  ASSERT_TRUE(log.Open().ok());
  EXPECT_TRUE(fs::is_directory(dir_ + "/connections"));
  EXPECT_TRUE(fs::is_directory(dir_ + "/transcript"));
  log.Write(LogKind::kConnections, "accept 127.0.0.1");
  log.Write(LogKind::kFailed, "554-first\r\n554 second");
  std::string day = LocalDayStamp(now_);
  EXPECT_EQ(Slurp(dir_ + "/connections/" + day + ".log"), LocalIsoTimestamp(now_) + " accept 127.0.0.1\n");
  EXPECT_EQ(Slurp(dir_ + "/failed/" + day + ".log"), LocalIsoTimestamp(now_) + " 554-first\\n554 second\n");
}

TEST_F(LogBookTest, TranscriptLinesAreMasked) {
  LogBook log(dir_, 30, false, clock());
  ASSERT_TRUE(log.Open().ok());
  log.Write(LogKind::kTranscript, "C: PASS hunter2");
  log.Write(LogKind::kTranscript, "C: AUTH PLAIN AGFsaWNlAHNlY3JldA==");
  std::string text = Slurp(dir_ + "/transcript/" + LocalDayStamp(now_) + ".log");
  EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
  EXPECT_EQ(text.find("AGFsaWNl"), std::string::npos) << text;
  EXPECT_NE(text.find("C: PASS ****"), std::string::npos) << text;
}

TEST_F(LogBookTest, TimestampFormatHasMillisecondsAndOffset) {
  std::string ts = LocalIsoTimestamp(now_ + std::chrono::milliseconds(45));
  // 2026-11-24T12:00:00.045+09:00
  ASSERT_EQ(ts.size(), 29u) << ts;
  EXPECT_EQ(ts.substr(10, 1), "T");
  EXPECT_EQ(ts.substr(19, 4), ".045");
  EXPECT_TRUE(ts[23] == '+' || ts[23] == '-') << ts;
  EXPECT_EQ(ts[26], ':');
}

TEST_F(LogBookTest, RotatesWhenTheDateChanges) {
  LogBook log(dir_, 30, false, clock());
  ASSERT_TRUE(log.Open().ok());
  log.Write(LogKind::kSystem, "day one");
  std::string day1 = LocalDayStamp(now_);
  now_ += hours(24);
  log.Write(LogKind::kSystem, "day two");
  std::string day2 = LocalDayStamp(now_);
  ASSERT_NE(day1, day2);
  EXPECT_NE(Slurp(dir_ + "/system/" + day1 + ".log").find("day one"), std::string::npos);
  std::string second = Slurp(dir_ + "/system/" + day2 + ".log");
  EXPECT_NE(second.find("day two"), std::string::npos);
  EXPECT_EQ(second.find("day one"), std::string::npos);
}

TEST_F(LogBookTest, PruneDeletesFilesOlderThanRetentionByTheirName) {
  LogBook log(dir_, 7, false, clock());
  ASSERT_TRUE(log.Open().ok());
  auto stamp = [&](int days_ago) { return LocalDayStamp(now_ - hours(24 * days_ago)); };
  for (int days_ago : {0, 6, 7, 8, 400}) std::ofstream(dir_ + "/pop3/" + stamp(days_ago) + ".log") << "x\n";
  std::ofstream(dir_ + "/pop3/notes.txt") << "keep me";
  log.Prune();
  EXPECT_TRUE(fs::exists(dir_ + "/pop3/" + stamp(0) + ".log"));
  EXPECT_TRUE(fs::exists(dir_ + "/pop3/" + stamp(6) + ".log"));
  EXPECT_TRUE(fs::exists(dir_ + "/pop3/" + stamp(7) + ".log"));
  EXPECT_FALSE(fs::exists(dir_ + "/pop3/" + stamp(8) + ".log"));
  EXPECT_FALSE(fs::exists(dir_ + "/pop3/" + stamp(400) + ".log"));
  EXPECT_TRUE(fs::exists(dir_ + "/pop3/notes.txt"));
}

TEST_F(LogBookTest, ZeroRetentionKeepsEverything) {
  LogBook log(dir_, 0, false, clock());
  ASSERT_TRUE(log.Open().ok());
  std::string old = dir_ + "/system/19991231.log";
  std::ofstream(old) << "x\n";
  log.Prune();
  EXPECT_TRUE(fs::exists(old));
}

TEST_F(LogBookTest, WriteFailureDoesNotCrash) {
  LogBook log("/proc/mailtee-cannot-write-here", 1, false, clock());
  EXPECT_FALSE(log.Open().ok());
  ::testing::internal::CaptureStderr();
  log.Write(LogKind::kSystem, "one");
  log.Write(LogKind::kSystem, "two");
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("log book"), std::string::npos) << err;
  EXPECT_EQ(err.find("log book", err.find("log book") + 1), std::string::npos) << "reported once: " << err;
}

TEST(LogKindName, NamesAreTheFolderNames) {
  EXPECT_STREQ(LogKindName(LogKind::kConnections), "connections");
  EXPECT_STREQ(LogKindName(LogKind::kPop3), "pop3");
  EXPECT_STREQ(LogKindName(LogKind::kTranscript), "transcript");
}

}  // namespace
}  // namespace mailtee::archive
