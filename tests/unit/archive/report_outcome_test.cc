// RewriteHeldOutcome: the report of a held message gets its final outcome and
// approval trail; everything else in it is kept, the index record follows and
// verify (hashes + ledger) still passes afterwards.
#include "archive/report_outcome.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "archive/archive_store.h"
#include "archive/index_sink.h"
#include "archive/local_time.h"
#include "archive/verify.h"
#include "archive_test_util.h"

namespace mailtee::archive {
namespace {

namespace fs = std::filesystem;
using testing::MakeUniqueTempDir;
using testing::ReadWholeFile;

const std::string kMessage =
    "From: Taro <taro@company.example>\r\n"
    "To: client@customer.example\r\n"
    "Subject: =?UTF-8?B?6KaL56mN5pu4?=\r\n"
    "Message-ID: <held1@company.example>\r\n"
    "\r\n"
    "Please find the quote.\r\n";

class ReportOutcomeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = MakeUniqueTempDir("report_outcome");
    ASSERT_FALSE(root_.empty());
    storage_ = root_ + "/storage";
    log_ = std::make_unique<LogBook>(root_ + "/logs", 0, false);
    ASSERT_TRUE(log_->Open().ok());
    ASSERT_TRUE(ArchiveStore::Open(storage_, Env::Default(), log_.get(), &store_).ok());
    ASSERT_TRUE(IndexingSink::Open(storage_, &index_).ok());
    store_->SetIndexingSink(index_.get());
  }
  void TearDown() override {
    store_.reset();
    index_.reset();
    fs::remove_all(root_);
  }

  // Archives kMessage as the SMTP session does for a held message.
  std::string ArchiveHeld() {
    MessageContext c;
    c.direction = Direction::kSent;
    c.protocol = "smtp";
    c.listener = "submission";
    c.user = "Taro@Company.example";
    c.client_ip = "192.0.2.7";
    c.received_at = std::chrono::system_clock::now();
    c.envelope_from = "taro@company.example";
    c.envelope_to = {"client@customer.example"};
    std::unique_ptr<Capture> capture;
    EXPECT_TRUE(store_->Begin(c, &capture).ok());
    EXPECT_TRUE(capture->Append(kMessage).ok());
    Outcome held;
    held.kind = Outcome::Kind::kHeld;
    held.code = 250;
    held.reply = "250 2.0.0 held for approval";
    EXPECT_TRUE(capture->Commit(held).ok());
    report_path_ = storage_ + "/archive/taro@company.example/" + LocalDayPath(c.received_at) + "/" +
                   capture->id() + ".xml";
    return capture->id();
  }

  static HeldOutcome Relayed() {
    HeldOutcome o;
    o.outcome = "relayed";
    o.code = 250;
    o.reply = "250 2.0.0 Ok: queued as 4F2A1C";
    o.relayed_at = "2026-11-24T18:00:00.000+09:00";
    o.trail.rule = "rule at line 7: sender *@company.example, when external";
    o.trail.held_at = "2026-11-24T17:00:00.000+09:00";
    o.trail.steps.push_back({"approve", "kacho@company.example", "bucho@company.example",
                             "2026-11-24T17:59:00.000+09:00", "192.0.2.9", "web", "ok, \"send it\"\nthanks"});
    return o;
  }

  std::string root_, storage_, report_path_;
  std::unique_ptr<LogBook> log_;
  std::unique_ptr<IndexingSink> index_;
  std::unique_ptr<ArchiveStore> store_;
};

TEST_F(ReportOutcomeTest, RelayedOutcomeAndTrailReplaceHeldAndTheRestIsKept) {
  const std::string id = ArchiveHeld();
  Report before;
  ASSERT_TRUE(ParseReportXml(ReadWholeFile(report_path_), &before).ok());
  ASSERT_EQ(before.outcome, "held");

  Status s = RewriteHeldOutcome(Env::Default(), storage_, "Taro@Company.example", id, Relayed(), index_.get());
  ASSERT_TRUE(s.ok()) << s.message();

  const std::string xml = ReadWholeFile(report_path_);
  Report after;
  ASSERT_TRUE(ParseReportXml(xml, &after).ok());
  EXPECT_EQ(after.outcome, "relayed");
  EXPECT_EQ(after.outcome_code, 250);
  EXPECT_EQ(after.outcome_reply, "250 2.0.0 Ok: queued as 4F2A1C");
  EXPECT_EQ(after.relayed_at, "2026-11-24T18:00:00.000+09:00");
  EXPECT_EQ(after.approval.rule, Relayed().trail.rule);
  EXPECT_EQ(after.approval.held_at, Relayed().trail.held_at);
  ASSERT_EQ(after.approval.steps.size(), 1u);
  EXPECT_EQ(after.approval.steps[0], Relayed().trail.steps[0]);  // quotes and newline survive
  EXPECT_NE(xml.find("<step action=\"approve\" by=\"kacho@company.example\" on-behalf-of=\"bucho@company.example\""),
            std::string::npos)
      << xml;
  // Untouched fields.
  EXPECT_EQ(after.summary.subject, before.summary.subject);
  EXPECT_EQ(after.summary.sha256_hex, before.summary.sha256_hex);
  EXPECT_EQ(after.envelope_to, before.envelope_to);
  EXPECT_EQ(after.received_at, before.received_at);

  IndexRecord record;
  bool found = false;
  ASSERT_TRUE(index_->index()->Get(id, &record, &found).ok());
  ASSERT_TRUE(found);
  EXPECT_EQ(record.outcome, "relayed");

  VerifyOptions options;
  options.index = index_->index();
  VerifyResult result;
  ASSERT_TRUE(VerifyArchive(storage_, options, &result).ok());
  std::string problems;
  for (const auto& p : result.problems) problems += p + "\n";
  EXPECT_TRUE(result.ok()) << problems;
}

TEST_F(ReportOutcomeTest, RepeatIsIdempotent) {
  const std::string id = ArchiveHeld();
  HeldOutcome rejected;
  rejected.outcome = "rejected";
  rejected.reply = "not to this customer";
  rejected.trail.steps.push_back({"reject", "bucho@company.example", "", "2026-11-24T17:59:00.000+09:00", "",
                                  "mail", "not to this customer"});
  ASSERT_TRUE(RewriteHeldOutcome(Env::Default(), storage_, "taro@company.example", id, rejected, index_.get()).ok());
  const std::string first = ReadWholeFile(report_path_);
  ASSERT_TRUE(RewriteHeldOutcome(Env::Default(), storage_, "taro@company.example", id, rejected, index_.get()).ok());
  EXPECT_EQ(ReadWholeFile(report_path_), first);
  EXPECT_NE(first.find(">rejected</outcome>"), std::string::npos);
  VerifyOptions options;
  options.index = index_->index();
  VerifyResult result;
  ASSERT_TRUE(VerifyArchive(storage_, options, &result).ok());
  EXPECT_TRUE(result.ok());
}

TEST_F(ReportOutcomeTest, RepairLeavesAFinishedReportAlone) {
  const std::string id = ArchiveHeld();
  HeldOutcome repair = Relayed();
  repair.only_if_still_held = true;
  repair.relayed_at.clear();
  ASSERT_TRUE(RewriteHeldOutcome(Env::Default(), storage_, "taro@company.example", id, repair, index_.get()).ok());
  const std::string repaired = ReadWholeFile(report_path_);
  EXPECT_NE(repaired.find(">relayed</outcome>"), std::string::npos) << "a report still saying held is repaired";

  HeldOutcome other = repair;
  other.outcome = "expired";
  ASSERT_TRUE(RewriteHeldOutcome(Env::Default(), storage_, "taro@company.example", id, other, index_.get()).ok());
  EXPECT_EQ(ReadWholeFile(report_path_), repaired) << "a report with its final outcome is left alone";
}

TEST_F(ReportOutcomeTest, FindsTheReportUnderAnotherUserFolder) {
  const std::string id = ArchiveHeld();
  std::string rel;
  ASSERT_TRUE(FindReportOfId(Env::Default(), storage_, "someone-else", id, &rel).ok());
  EXPECT_EQ(storage_ + "/" + rel, report_path_);
}

TEST_F(ReportOutcomeTest, MissingReportIsAnErrorNamingTheId) {
  const std::string id = "20261124T162024Z-3f9a0c1be27d";
  Status s = RewriteHeldOutcome(Env::Default(), storage_, "taro@company.example", id, Relayed(), index_.get());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(id), std::string::npos) << s.message();
  EXPECT_FALSE(RewriteHeldOutcome(Env::Default(), storage_, "u", "../../etc/passwd", Relayed(), nullptr).ok());
}

TEST(ReportXmlApproval, ReportsWithoutTrailHaveNoApprovalElement) {
  Report r;
  r.id = "x";
  r.outcome = "relayed";
  EXPECT_EQ(RenderReportXml(r).find("<approval"), std::string::npos);
  r.approval.steps.push_back({"expire", "mailtee", "", "2026-11-27T17:00:00.000+09:00", "", "timer", ""});
  Report back;
  ASSERT_TRUE(ParseReportXml(RenderReportXml(r), &back).ok());
  ASSERT_EQ(back.approval.steps.size(), 1u);
  EXPECT_EQ(back.approval.steps[0], r.approval.steps[0]);
}

}  // namespace
}  // namespace mailtee::archive
