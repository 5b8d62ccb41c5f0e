// Crash consistency of the search index and ledger with the store: after a
// crash at any step of a commit, ArchiveStore::Recover + IndexingSink::CatchUp
// leave the index listing exactly the files on disk and verify passes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "archive/archive_store.h"
#include "archive/fault_injection_env.h"
#include "archive/index_sink.h"
#include "archive/ledger_hash.h"
#include "archive/verify.h"
#include "archive_test_util.h"
#include "index_test_util.h"
#include "store_index_fixture.h"

namespace mailtee::archive {
namespace {

namespace fs = std::filesystem;
using testing::AliceContext;
using testing::FilesUnder;
using testing::IndexedCount;
using ::testing::IsEmpty;

const std::string kMessage = "From: alice@example.com\r\nTo: bob@example.net\r\nSubject: crash\r\n\r\nbody\r\n";

void WriteFile(const std::string& path, const std::string& data) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

class IndexCrashTest : public testing::StoreIndexTest {};

// The store notifies the index after the rename and before it removes the
// spool meta, so a crash anywhere in Commit is re-notified by Recover.
TEST_F(IndexCrashTest, CrashAtEveryStepOfCommitKeepsIndexAndFilesInStep) {
  for (int step = 0;; ++step) {
    SCOPED_TRACE("crash before mutating operation " + std::to_string(step));
    Stop();
    fs::remove_all(storage_);
    fault_ = std::make_unique<FaultInjectionEnv>(Env::Default());
    Start(fault_.get());
    std::unique_ptr<Capture> capture;
    ASSERT_TRUE(store_->Begin(AliceContext(Direction::kSent), &capture).ok());
    ASSERT_TRUE(capture->Append(kMessage).ok());
    ASSERT_TRUE(capture->SealForRelay().ok());
    fault_->CrashAfter(step);
    capture->Commit({Outcome::Kind::kRelayed, 250, "250 queued", {}});
    store_->Flush();  // the background writer's steps get crash points too
    const bool crashed = fault_->crashed();
    capture.reset();
    fault_->Crash();
    Restart();
    EXPECT_EQ(FilesUnder(storage_ + "/archive", ".eml").size(), 1u);
    ExpectConsistent();
    if (!crashed) break;
    ASSERT_LT(step, 100);
  }
}

// A second POP3 fetch of the same message goes to the first copy's
// retrieval journal and is folded into its report (retrieval_journal.h): the
// index and ledger must follow the folded report, whatever step a crash hits.
TEST_F(IndexCrashTest, CrashAtEveryStepOfADuplicateFetchKeepsIndexAndFilesInStep) {
  for (int step = 0;; ++step) {
    SCOPED_TRACE("crash before mutating operation " + std::to_string(step));
    Stop();
    fs::remove_all(storage_);
    fault_ = std::make_unique<FaultInjectionEnv>(Env::Default());
    Start(fault_.get());
    MessageContext first = AliceContext(Direction::kReceived);
    std::unique_ptr<Capture> capture;
    ASSERT_TRUE(store_->Begin(first, &capture).ok());
    ASSERT_TRUE(capture->Append(kMessage).ok());
    ASSERT_TRUE(capture->Commit({Outcome::Kind::kRelayed, 0, "+OK", {}}).ok());
    store_->Flush();
    MessageContext second = first;
    second.client_ip = "127.0.0.2";
    second.received_at += std::chrono::seconds(30);
    ASSERT_TRUE(store_->Begin(second, &capture).ok());
    ASSERT_TRUE(capture->Append(kMessage).ok());
    fault_->CrashAfter(step);
    capture->Commit({Outcome::Kind::kRelayed, 0, "+OK", {}});
    store_->Flush();
    const bool crashed = fault_->crashed();
    capture.reset();
    fault_->Crash();
    Restart();
    ExpectConsistent();
    if (!crashed) break;
    ASSERT_LT(step, 100);
  }
}

class CatchUpTest : public IndexCrashTest {
 protected:
  // Files as the store writes them; returns the record the index would hold.
  void WriteMessage(const std::string& id, int day, std::string* rel_eml, std::string* rel_xml, Report* report) {
    const std::string eml = "Subject: m" + id + "\r\n\r\nbody " + id + "\r\n";
    *report = testing::MakeReport(id, "tanaka", day, 9, "subject " + id, "tanaka@example.jp", "x@partner.jp");
    report->summary.sha256_hex = Sha256Hex(eml);
    report->summary.size = eml.size();
    char dir[64];
    std::snprintf(dir, sizeof dir, "archive/tanaka/2026/11/%02d", day);
    *rel_eml = std::string(dir) + "/" + id + ".eml";
    *rel_xml = std::string(dir) + "/" + id + ".xml";
    WriteFile(storage_ + "/" + *rel_eml, eml);
    WriteFile(storage_ + "/" + *rel_xml, RenderReportXml(*report));
  }
  // A crash inside IndexCommitted/Purge after the ledger append: the ledger
  // has the entry, the index does not.
  void LedgerOnly(const char* action, const std::string& id, const std::string& rel_eml, const std::string& rel_xml,
                  const std::string& eml_sha) {
    LedgerEntry e{.action = action, .id = id, .eml_path = rel_eml, .report_path = rel_xml,
                  .message_sha256 = eml_sha,
                  .report_sha256 = fs::exists(storage_ + "/" + rel_xml) ? Sha256HexOfFile(storage_ + "/" + rel_xml)
                                                                        : ""};
    ASSERT_TRUE(sink_->ledger()->Append(&e).ok());
  }
  std::string Sha256HexOfFile(const std::string& path) {
    std::string hex;
    uint64_t bytes;
    EXPECT_TRUE(Sha256File(path, &hex, &bytes).ok());
    return hex;
  }
};

TEST_F(CatchUpTest, NothingToDoWhenHeadsAgree) {
  Start(Env::Default());
  std::string eml, xml;
  Report r;
  WriteMessage("20261101T000000Z-000000000001", 1, &eml, &xml, &r);
  ASSERT_TRUE(sink_->IndexCommitted(r, eml, xml).ok());
  IndexingSink::CatchUpStats stats = Restart();
  EXPECT_EQ(stats.replayed, 0u);
  EXPECT_THAT(stats.warnings, IsEmpty());
  ExpectConsistent();
}

TEST_F(CatchUpTest, ReNotifyingAnUnchangedMessageAddsNoLedgerEntry) {
  Start(Env::Default());
  std::string eml, xml;
  Report r;
  WriteMessage("20261101T000000Z-000000000001", 1, &eml, &xml, &r);
  ASSERT_TRUE(sink_->IndexCommitted(r, eml, xml).ok());
  const std::string head = sink_->ledger()->Head();
  ASSERT_TRUE(sink_->IndexCommitted(r, eml, xml).ok());
  EXPECT_EQ(sink_->ledger()->Head(), head);
}

TEST_F(CatchUpTest, LedgerEntriesTheIndexMissedAreReplayed) {
  Start(Env::Default());
  std::string eml1, xml1, eml2, xml2;
  Report r1, r2;
  WriteMessage("20261101T000000Z-000000000001", 1, &eml1, &xml1, &r1);
  WriteMessage("20261102T000000Z-000000000002", 2, &eml2, &xml2, &r2);
  ASSERT_TRUE(sink_->IndexCommitted(r1, eml1, xml1).ok());
  // Crash after the ledger append of message 2 ...
  LedgerOnly(kLedgerActionArchive, r2.id, eml2, xml2, r2.summary.sha256_hex);
  // ... and during the purge of message 1 (files gone, ledger written, index not).
  IndexRecord rec1;
  bool found = false;
  ASSERT_TRUE(sink_->index()->Get(r1.id, &rec1, &found).ok() && found);
  fs::remove(storage_ + "/" + eml1);
  fs::remove(storage_ + "/" + xml1);
  LedgerOnly(kLedgerActionPurge, r1.id, eml1, xml1, r1.summary.sha256_hex);
  {
    VerifyOptions options;
    options.index = sink_->index();
    VerifyResult before;
    ASSERT_TRUE(VerifyArchive(storage_, options, &before).ok());
    EXPECT_FALSE(before.ok());  // the gap is visible before CatchUp
  }

  IndexingSink::CatchUpStats stats = Restart();
  EXPECT_EQ(stats.replayed, 2u);
  EXPECT_THAT(stats.warnings, IsEmpty());
  ASSERT_TRUE(sink_->index()->Get(r1.id, &rec1, &found).ok());
  EXPECT_FALSE(found);
  IndexRecord rec2;
  ASSERT_TRUE(sink_->index()->Get(r2.id, &rec2, &found).ok());
  EXPECT_TRUE(found);
  EXPECT_EQ(rec2.eml_path, eml2);
  std::string index_head;
  ASSERT_TRUE(sink_->index()->GetLedgerHead(&index_head).ok());
  EXPECT_EQ(index_head, sink_->ledger()->Head());
  ExpectConsistent();
}

TEST_F(CatchUpTest, DeletedIndexIsRebuiltFromTheLedger) {
  Start(Env::Default());
  for (int day = 1; day <= 3; ++day) {
    std::string eml, xml;
    Report r;
    WriteMessage("2026110" + std::to_string(day) + "T000000Z-00000000000" + std::to_string(day), day, &eml, &xml, &r);
    ASSERT_TRUE(sink_->IndexCommitted(r, eml, xml).ok());
  }
  Stop();
  fs::remove_all(SearchIndexDir(storage_));
  IndexingSink::CatchUpStats stats = Restart();
  EXPECT_EQ(stats.replayed, 3u);
  ExpectConsistent();
}

TEST_F(CatchUpTest, ReportMissingForAnUnpurgedEntryIsAWarningNotAnIndexRecord) {
  Start(Env::Default());
  std::string eml, xml;
  Report r;
  WriteMessage("20261101T000000Z-000000000001", 1, &eml, &xml, &r);
  LedgerOnly(kLedgerActionArchive, r.id, eml, xml, r.summary.sha256_hex);
  fs::remove(storage_ + "/" + xml);
  IndexingSink::CatchUpStats stats = Restart();
  ASSERT_EQ(stats.warnings.size(), 1u);
  EXPECT_THAT(stats.warnings[0], ::testing::HasSubstr("ledger entry #1"));
  EXPECT_EQ(IndexedCount(sink_->index()), 0u);
}

}  // namespace
}  // namespace mailtee::archive
