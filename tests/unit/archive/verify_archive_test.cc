// verify, reindex and the IndexingSink hook over a real storage folder.
#include "archive/verify.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "archive/env.h"
#include "archive/index_sink.h"
#include "archive/ledger_hash.h"
#include "archive/reindex.h"
#include "index_test_util.h"

namespace mailtee::archive {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

void WriteFile(const std::string& path, const std::string& data) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

class ArchiveFolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage_ = dir_.path();
    ASSERT_TRUE(IndexingSink::Open(storage_, &sink_).ok());
    Archive("20261101T000000Z-000000000001", "tanaka", 1, "会議の予約", "Subject: a\r\n\r\nhello\r\n");
    Archive("20261102T000000Z-000000000002", "tanaka", 2, "Quarterly report", "Subject: b\r\n\r\nFrom here\r\n");
    Archive("20261103T000000Z-000000000003", "sato", 3, "Invoice", "Subject: c\r\n\r\nbody\r\n");
  }

  // Writes the files like ArchiveStore does, then calls the hook.
  void Archive(const std::string& id, const std::string& user, int day, const std::string& subject,
               const std::string& eml) {
    Report r = testing::MakeReport(id, user, day, 9, subject, user + "@example.jp", "x@partner.jp");
    r.summary.sha256_hex = Sha256Hex(eml);
    r.summary.size = eml.size();
    char dir[64];
    std::snprintf(dir, sizeof dir, "archive/%s/2026/11/%02d", user.c_str(), day);
    const std::string rel_eml = std::string(dir) + "/" + id + ".eml", rel_xml = std::string(dir) + "/" + id + ".xml";
    WriteFile(storage_ + "/" + rel_eml, eml);
    WriteFile(storage_ + "/" + rel_xml, RenderReportXml(r));
    Status s = sink_->IndexCommitted(r, rel_eml, rel_xml);
    ASSERT_TRUE(s.ok()) << s.ToString();
    paths_[id] = rel_eml;
  }

  std::string Path(const std::string& id, const char* ext = ".eml") {
    std::string p = paths_[id];
    return p.substr(0, p.size() - 4) + ext;
  }

  VerifyResult Verify(bool with_index = true) {
    VerifyOptions options;
    options.index = with_index ? sink_->index() : nullptr;
    int progress_calls = 0;
    options.progress = [&](const VerifyProgress&) { ++progress_calls; };
    VerifyResult result;
    Status s = VerifyArchive(storage_, options, &result);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_GE(progress_calls, 1);
    return result;
  }

  std::vector<std::string> SearchIds(ArchiveIndex* index, Query q) {
    ResultPage page;
    EXPECT_TRUE(index->Search(q, &page).ok());
    std::vector<std::string> ids;
    for (auto& r : page.records) ids.push_back(r.id);
    return ids;
  }

  testing::TempDir dir_;
  std::string storage_;
  std::unique_ptr<IndexingSink> sink_;
  std::map<std::string, std::string> paths_;
};

const char* kId1 = "20261101T000000Z-000000000001";
const char* kId2 = "20261102T000000Z-000000000002";
const char* kId3 = "20261103T000000Z-000000000003";

TEST_F(ArchiveFolderTest, IntactArchiveVerifiesClean) {
  VerifyResult r = Verify();
  EXPECT_THAT(r.problems, IsEmpty());
  EXPECT_EQ(r.messages, 3u);
  EXPECT_EQ(r.files, 6u);
  EXPECT_EQ(r.ledger_entries, 3u);
  EXPECT_GT(r.bytes, 0u);
}

TEST_F(ArchiveFolderTest, HookIndexesForSearch) {
  EXPECT_THAT(SearchIds(sink_->index(), {.user = "tanaka"}), ElementsAre(kId2, kId1));
  EXPECT_THAT(SearchIds(sink_->index(), {.subject = "予約"}), ElementsAre(kId1));
}

TEST_F(ArchiveFolderTest, EditedEmlIsCaught) {
  WriteFile(storage_ + "/" + Path(kId2), "Subject: b\r\n\r\nFrom there\r\n");
  VerifyResult r = Verify();
  // One problem: the index still agrees with the report, so reindexing is no remedy.
  EXPECT_THAT(r.problems, ElementsAre(Path(kId2) + ": SHA-256 differs from the ledger entry #2 and from its report"));
}

TEST_F(ArchiveFolderTest, RewrittenEmlAndReportAreCaughtByTheLedger) {
  const std::string forged = "Subject: b\r\n\r\nforged\r\n";
  WriteFile(storage_ + "/" + Path(kId2), forged);
  Report rep = testing::MakeReport(kId2, "tanaka", 2, 9, "Quarterly report", "tanaka@example.jp", "x@partner.jp");
  rep.summary.sha256_hex = Sha256Hex(forged);
  rep.summary.size = forged.size();
  WriteFile(storage_ + "/" + Path(kId2, ".xml"), RenderReportXml(rep));
  VerifyResult r = Verify(false);
  EXPECT_THAT(r.problems,
              ElementsAre(Path(kId2) + ": SHA-256 differs from the ledger entry #2 (report was also changed)"));
}

TEST_F(ArchiveFolderTest, DeletedEmlIsCaught) {
  std::filesystem::remove(storage_ + "/" + Path(kId1));
  EXPECT_THAT(Verify(false).problems, ElementsAre(Path(kId1) + ": missing (archived per ledger entry #1)"));
}

TEST_F(ArchiveFolderTest, DeletedMessageFolderIsCaught) {
  std::filesystem::remove(storage_ + "/" + Path(kId3));
  std::filesystem::remove(storage_ + "/" + Path(kId3, ".xml"));
  VerifyResult r = Verify();
  EXPECT_THAT(r.problems, ElementsAre(Path(kId3, ".xml") + ": missing (archived per ledger entry #3)"));
}

// The daemon keeps committing and purging while `mailtee archive verify` runs
// through the admin socket: neither is a problem.
TEST_F(ArchiveFolderTest, CommitsAndPurgesDuringTheWalkAreNotProblems) {
  IndexRecord purged;
  bool found = false;
  ASSERT_TRUE(sink_->index()->Get(kId2, &purged, &found).ok() && found);
  VerifyOptions options;
  options.index = sink_->index();
  options.progress_every_files = 1;
  bool done = false;
  options.progress = [&](const VerifyProgress&) {
    if (done) return;
    done = true;  // after the first message (sato's): one arrives behind the walk, one goes ahead of it
    Archive("20261103T100000Z-000000000009", "sato", 3, "late arrival", "Subject: late\r\n\r\nx\r\n");
    ASSERT_TRUE(sink_->Purge(purged).ok());
  };
  VerifyResult r;
  ASSERT_TRUE(VerifyArchive(storage_, options, &r).ok());
  EXPECT_TRUE(done);
  EXPECT_THAT(r.problems, IsEmpty());
  // The same files looked at afresh are consistent too.
  EXPECT_THAT(Verify().problems, IsEmpty());
}

TEST_F(ArchiveFolderTest, ExtraFilesAreCaught) {
  WriteFile(storage_ + "/archive/sato/2026/11/03/20261103T000000Z-0000000000ff.eml", "x");
  WriteFile(storage_ + "/archive/sato/2026/11/03/notes.txt", "x");
  VerifyResult r = Verify(false);
  EXPECT_THAT(r.problems,
              ::testing::UnorderedElementsAre("archive/sato/2026/11/03/notes.txt: unexpected file in the archive folder",
                          "archive/sato/2026/11/03/20261103T000000Z-0000000000ff.eml: not in the ledger (added outside mailtee?)",
                          "archive/sato/2026/11/03/20261103T000000Z-0000000000ff.xml: report missing"));
}

TEST_F(ArchiveFolderTest, LedgerCutShortAtTheEndIsCaughtThroughTheIndex) {
  std::string ledger;
  ASSERT_TRUE(ReadWholeFile(Env::Default(), LedgerPath(storage_), 1 << 20, &ledger).ok());
  ledger.pop_back();
  ledger = ledger.substr(0, ledger.rfind('\n') + 1);
  WriteFile(LedgerPath(storage_), ledger);
  VerifyResult r = Verify();
  EXPECT_THAT(r.problems, ::testing::Contains(HasSubstr("ledger.log ends at entry #2 but the search index saw entry #3")));
  EXPECT_THAT(r.problems, ::testing::Contains(HasSubstr(": not in the ledger")));
}

TEST_F(ArchiveFolderTest, ReindexGivesIdenticalResults) {
  std::vector<IndexRecord> before, after;
  ASSERT_TRUE(sink_->index()->ForEach([&](const IndexRecord& r) { before.push_back(r); return true; }).ok());
  std::string head_before;
  ASSERT_TRUE(sink_->index()->GetLedgerHead(&head_before).ok());
  auto q1 = SearchIds(sink_->index(), {.subject = "会議"});
  sink_.reset();  // the reindex needs the index unlocked

  ReindexStats stats;
  Status s = Reindex(storage_, nullptr, &stats);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(stats.messages, 3u);
  EXPECT_THAT(stats.skipped, IsEmpty());

  ASSERT_TRUE(IndexingSink::Open(storage_, &sink_).ok());
  ASSERT_TRUE(sink_->index()->ForEach([&](const IndexRecord& r) { after.push_back(r); return true; }).ok());
  EXPECT_EQ(before, after);
  std::string head_after;
  ASSERT_TRUE(sink_->index()->GetLedgerHead(&head_after).ok());
  EXPECT_EQ(head_before, head_after);
  EXPECT_EQ(SearchIds(sink_->index(), {.subject = "会議"}), q1);
  EXPECT_THAT(Verify().problems, IsEmpty());
}

TEST_F(ArchiveFolderTest, ReindexRefusesWhileTheIndexIsOpen) {
  ReindexStats stats;
  Status s = Reindex(storage_, nullptr, &stats);
  EXPECT_TRUE(ArchiveIndex::IsLockError(s)) << s.ToString();
}

TEST_F(ArchiveFolderTest, PurgeRemovesFilesRecordsItAndVerifiesClean) {
  IndexRecord rec;
  bool found = false;
  ASSERT_TRUE(sink_->index()->Get(kId1, &rec, &found).ok());
  ASSERT_TRUE(found);
  ASSERT_TRUE(sink_->Purge(rec).ok());
  EXPECT_FALSE(std::filesystem::exists(storage_ + "/" + Path(kId1)));
  EXPECT_THAT(SearchIds(sink_->index(), {.user = "tanaka"}), ElementsAre(kId2));
  EXPECT_THAT(Verify().problems, IsEmpty());
}

TEST_F(ArchiveFolderTest, SecondCommitOfAnIdIsAnUpdate) {
  Report r = testing::MakeReport(kId3, "sato", 3, 9, "Invoice", "sato@example.jp", "x@partner.jp");
  r.summary.sha256_hex = Sha256Hex("Subject: c\r\n\r\nbody\r\n");
  r.summary.size = 21;
  r.retrievals.push_back({"2026-11-05T10:00:00+09:00", "10.0.0.9"});
  r.outcome = "fetched";
  WriteFile(storage_ + "/" + Path(kId3, ".xml"), RenderReportXml(r));
  EXPECT_THAT(Verify().problems, ::testing::Contains(HasSubstr("report differs from the ledger entry #3")));
  ASSERT_TRUE(sink_->IndexCommitted(r, Path(kId3), Path(kId3, ".xml")).ok());
  EXPECT_THAT(Verify().problems, IsEmpty());
  std::vector<LedgerEntry> entries;
  LedgerScan scan;
  ASSERT_TRUE(ScanLedger(LedgerPath(storage_), [&](const LedgerEntry& e) { entries.push_back(e); }, &scan).ok());
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[3].action, "update");
}

}  // namespace
}  // namespace mailtee::archive
