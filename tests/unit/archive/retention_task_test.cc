// RetentionTask / RunRetention over a real storage folder: config -> policy,
// purge with ledger entries, legal hold, dry run, the daily thread.
#include "archive/retention_task.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "archive/ledger_hash.h"
#include "archive/verify.h"
#include "index_test_util.h"

namespace mailtee::archive {
namespace {

namespace fs = std::filesystem;
using ::testing::IsEmpty;

constexpr int64_t kDay = 86'400'000;

class RetentionTaskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage_ = dir_.path();
    ASSERT_TRUE(IndexingSink::Open(storage_, &sink_).ok());
    ASSERT_TRUE(ParseIsoTimeMs("2026-11-30T00:00:00Z", &now_));
    Archive("20261101T000000Z-000000000001", "tanaka", 1);
    Archive("20261102T000000Z-000000000002", "sato", 2);
    Archive("20261103T000000Z-000000000003", "Suzuki", 3);
    Archive("20261128T000000Z-000000000004", "tanaka", 28);
  }

  void Archive(const std::string& id, const std::string& user, int day) {
    const std::string eml = "Subject: " + id + "\r\n\r\nbody\r\n";
    Report r = testing::MakeReport(id, user, day, 9, "s", user + "@example.jp", "x@partner.jp");
    r.summary.sha256_hex = Sha256Hex(eml);
    char dir[64];
    std::snprintf(dir, sizeof dir, "archive/%s/2026/11/%02d", user.c_str(), day);
    const std::string rel_eml = std::string(dir) + "/" + id + ".eml", rel_xml = std::string(dir) + "/" + id + ".xml";
    fs::create_directories(storage_ + "/" + dir);
    std::ofstream(storage_ + "/" + rel_eml, std::ios::binary) << eml;
    std::ofstream(storage_ + "/" + rel_xml, std::ios::binary) << RenderReportXml(r);
    ASSERT_TRUE(sink_->IndexCommitted(r, rel_eml, rel_xml).ok());
  }

  std::vector<std::string> Remaining() {
    std::vector<std::string> ids;
    EXPECT_TRUE(sink_->index()->ForEach([&](const IndexRecord& r) { return ids.push_back(r.id), true; }).ok());
    return ids;
  }

  static config::RetentionSettings Settings() {
    config::RetentionSettings s;
    s.default_days = 20;
    s.users.push_back({"SATO", 365, 3});      // sato keeps a year
    s.legal_hold_users.push_back("suzuki");   // held, whatever the age
    return s;
  }

  testing::TempDir dir_;
  std::string storage_;
  std::unique_ptr<IndexingSink> sink_;
  int64_t now_ = 0;
};

TEST_F(RetentionTaskTest, PolicyFromConfigLowercasesUsers) {
  RetentionPolicy p = PolicyFromConfig(Settings());
  EXPECT_EQ(p.default_days, 20);
  EXPECT_EQ(p.user_days.at("sato"), 365);
  EXPECT_EQ(p.legal_hold_users.count("suzuki"), 1u);
}

TEST_F(RetentionTaskTest, DryRunListsWithoutDeleting) {
  PurgeRun run;
  ASSERT_TRUE(RunRetention(sink_.get(), PolicyFromConfig(Settings()), now_, true, &run).ok());
  ASSERT_EQ(run.due.size(), 1u);
  EXPECT_EQ(run.due[0].id, "20261101T000000Z-000000000001");
  EXPECT_EQ(run.purged, 0u);
  EXPECT_EQ(Remaining().size(), 4u);
  EXPECT_TRUE(fs::exists(storage_ + "/" + run.due[0].eml_path));
}

TEST_F(RetentionTaskTest, RunOncePurgesDueMessagesIntoTheLedgerAndVerifyStillPasses) {
  LogBook log(dir_.path() + "/logs", 0, false);
  ASSERT_TRUE(log.Open().ok());
  RetentionTask task(sink_.get(), PolicyFromConfig(Settings()), &log);
  PurgeRun run;
  ASSERT_TRUE(task.RunOnce(now_, &run).ok());
  EXPECT_EQ(run.purged, 1u);
  EXPECT_THAT(run.errors, IsEmpty());
  EXPECT_FALSE(fs::exists(storage_ + "/" + run.due[0].eml_path));
  EXPECT_FALSE(fs::exists(storage_ + "/" + run.due[0].report_path));
  EXPECT_EQ(Remaining(), (std::vector<std::string>{"20261102T000000Z-000000000002", "20261103T000000Z-000000000003",
                                                   "20261128T000000Z-000000000004"}));
  std::vector<LedgerEntry> purges;
  LedgerScan scan;
  ASSERT_TRUE(ScanLedger(LedgerPath(storage_), [&](const LedgerEntry& e) {
    if (e.action == kLedgerActionPurge) purges.push_back(e);
  }, &scan).ok());
  ASSERT_EQ(purges.size(), 1u);
  EXPECT_EQ(purges[0].id, "20261101T000000Z-000000000001");

  VerifyOptions options;
  options.index = sink_->index();
  VerifyResult verified;
  ASSERT_TRUE(VerifyArchive(storage_, options, &verified).ok());
  EXPECT_THAT(verified.problems, IsEmpty());

  // Much later: sato's year is over, suzuki stays held, tanaka's recent one goes.
  ASSERT_TRUE(task.RunOnce(now_ + 400 * kDay, &run).ok());
  EXPECT_EQ(run.purged, 2u);
  EXPECT_EQ(Remaining(), (std::vector<std::string>{"20261103T000000Z-000000000003"}));
  EXPECT_EQ(task.runs(), 2u);
}

TEST_F(RetentionTaskTest, DailyThreadRunsAndStopsPromptly) {
  config::RetentionSettings settings = Settings();
  settings.default_days = 1;  // the thread uses the real clock: anything after 2026-11-02 purges message 1
  RetentionTask task(sink_.get(), PolicyFromConfig(settings), nullptr);
  task.StartDaily(/*first_delay_ms=*/10, /*period_ms=*/86'400'000);
  for (int i = 0; i < 500 && task.runs() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(task.runs(), 1u);
  auto start = std::chrono::steady_clock::now();
  task.Stop();  // the thread sleeps for a day: Stop must wake it
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  std::vector<std::string> left = Remaining();
  EXPECT_EQ(std::count(left.begin(), left.end(), "20261101T000000Z-000000000001"), 0);
  EXPECT_EQ(std::count(left.begin(), left.end(), "20261103T000000Z-000000000003"), 1);  // legal hold
}

TEST_F(RetentionTaskTest, NoConfiguredDaysStartsNoThread) {
  config::RetentionSettings none;
  none.legal_hold_users.push_back("tanaka");
  RetentionTask task(sink_.get(), PolicyFromConfig(none), nullptr);
  task.StartDaily(0, 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(task.runs(), 0u);
}

}  // namespace
}  // namespace mailtee::archive
