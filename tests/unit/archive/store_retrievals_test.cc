// POP3 re-fetches of one message (clients that leave mail on the server):
// kept once, every fetch recorded — also several in one millisecond — at a
// cost per fetch that does not grow with the fetches before it, through a
// crash between the journal write and the fold, and across reindex/verify.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "archive/export.h"
#include "archive/reindex.h"
#include "archive/retrieval_journal.h"
#include "archive/spool_meta.h"
#include "archive/verify.h"
#include "archive_test_util.h"
#include "index_test_util.h"
#include "store_index_fixture.h"

namespace mailtee::archive {
namespace {

namespace fs = std::filesystem;
using testing::AliceContext;
using testing::FilesUnder;
using ::testing::IsEmpty;

// 49 bytes, as in the measurement.
const std::string kMessage = "From: a@example.jp\r\nSubject: re\r\n\r\nhello again!\r\n";

// The real file system without its flushes: these tests count fetches and
// bytes, and crash through FaultInjectionEnv's model (which decides what a
// crash keeps by the syncs it sees, not by the disk), so waiting for the
// disk only makes them slow (~40 ms a fetch on a shared disk).
class NoFlushEnv : public EnvWrapper {
 public:
  using EnvWrapper::EnvWrapper;
  Status NewWritableFile(const std::string& path, CreateMode mode, int perms,
                         std::unique_ptr<WritableFile>* out) override {
    std::unique_ptr<WritableFile> file;
    Status s = EnvWrapper::NewWritableFile(path, mode, perms, &file);
    if (s.ok()) out->reset(new File(std::move(file)));
    return s;
  }
  Status SyncDir(const std::string&) override { return Status::Ok(); }
  Status SyncFiles(const std::vector<std::string>&) override { return Status::Ok(); }
  Status OpenFileSystemSync(const std::string&, std::unique_ptr<FileSystemSync>* out) override {
    out->reset(new NoSync);
    return Status::Ok();
  }

 private:
  class File : public WritableFile {
   public:
    explicit File(std::unique_ptr<WritableFile> inner) : inner_(std::move(inner)) {}
    Status Append(std::string_view data) override { return inner_->Append(data); }
    Status Sync() override { return Status::Ok(); }
    Status Close() override { return inner_->Close(); }

   private:
    std::unique_ptr<WritableFile> inner_;
  };
  class NoSync : public FileSystemSync {
   public:
    Status Sync() override { return Status::Ok(); }
  };
};

class StoreRetrievalsTest : public testing::StoreIndexTest {
 protected:
  void SetUp() override {
    ASSERT_EQ(kMessage.size(), 49u);
    StoreIndexTest::SetUp();
  }

  // One POP3 fetch of kMessage; its archive id ("" if the commit failed).
  std::string Fetch(const MessageContext& context) {
    std::unique_ptr<Capture> capture;
    if (!store_->Begin(context, &capture).ok() || !capture->Append(kMessage).ok()) return "";
    const std::string id = capture->id();
    return capture->Commit({Outcome::Kind::kRelayed, 0, "+OK", {}}).ok() ? id : "";
  }

  std::string ReportPath() {
    auto xmls = FilesUnder(storage_ + "/archive", ".xml");
    EXPECT_EQ(xmls.size(), 1u);
    return xmls.empty() ? "" : xmls[0].string();
  }
  Report CurrentReport() {
    Report r;
    EXPECT_TRUE(ParseReportXml(testing::ReadWholeFile(ReportPath()), &r).ok());
    return r;
  }
  // What readers (console, CLI, export) see: every retrieval.
  std::vector<Retrieval> Recorded() {
    std::vector<Retrieval> all;
    Status s = ReadAllRetrievals(Env::Default(), ReportPath(), CurrentReport(), &all);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return all;
  }
  static std::set<std::string> Ids(const std::vector<Retrieval>& list) {
    std::set<std::string> ids;
    for (const auto& r : list) ids.insert(r.id);
    return ids;
  }

  NoFlushEnv fast_{Env::Default()};
};

// Every fetch carries the same instant and address (a client re-fetching
// in a loop, or a coarse clock): each still counts, and keeps its own id.
TEST_F(StoreRetrievalsTest, FetchesInTheSameMillisecondAreEachRecorded) {
  Start(&fast_);
  const MessageContext same = AliceContext(Direction::kReceived);
  std::vector<std::string> ids;
  for (int i = 0; i < 30; ++i) {
    ids.push_back(Fetch(same));
    ASSERT_FALSE(ids.back().empty());
  }
  // Readers see each fetch at once (the journal), before the writer folds.
  EXPECT_EQ(Recorded().size(), 30u);
  store_->Flush();

  EXPECT_EQ(FilesUnder(storage_ + "/archive", ".eml").size(), 1u);
  const std::vector<Retrieval> all = Recorded();
  ASSERT_EQ(all.size(), 30u);
  EXPECT_EQ(Ids(all), std::set<std::string>(ids.begin(), ids.end()));
  for (const auto& r : all) EXPECT_EQ(r.client_ip, "127.0.0.1");
  // The report: all counted, the first and the most recent listed.
  const Report report = CurrentReport();
  EXPECT_EQ(report.retrieval_count, 30u);
  ASSERT_EQ(report.retrievals.size(), kReportListedRetrievals);
  EXPECT_EQ(report.retrievals.front().id, ids.front());
  EXPECT_EQ(report.retrievals.back().id, ids.back());
  EXPECT_EQ(report.retrievals[1].id, ids[30 - kReportListedRetrievals + 1]);
  ExpectConsistent();
}

// 1000 re-fetches of a 49-byte mail: the bytes the archive writes for the
// last hundred are no more than for the first hundred (rewriting a report
// that lists every fetch made them grow with the count: quadratic in total).
TEST_F(StoreRetrievalsTest, BytesWrittenPerRefetchStayConstant) {
  fault_ = std::make_unique<FaultInjectionEnv>(&fast_);
  Start(fault_.get(), /*with_index=*/false);
  MessageContext c = AliceContext(Direction::kReceived);
  ASSERT_FALSE(Fetch(c).empty());
  store_->Flush();
  constexpr int kFetches = 1000;
  std::vector<uint64_t> after;  // bytes written after each re-fetch
  const uint64_t start = fault_->bytes_written();
  for (int i = 0; i < kFetches; ++i) {
    c.received_at += std::chrono::milliseconds(1);
    ASSERT_FALSE(Fetch(c).empty()) << i;
    store_->Flush();  // one fetch per writer batch: the costliest case
    after.push_back(fault_->bytes_written() - start);
  }
  const uint64_t first_hundred = after[99];
  const uint64_t last_hundred = after[kFetches - 1] - after[kFetches - 101];
  std::printf("bytes written by %d re-fetches of a 49-byte mail: %llu (first 100: %llu, last 100: %llu)\n", kFetches,
              static_cast<unsigned long long>(after.back()), static_cast<unsigned long long>(first_hundred),
              static_cast<unsigned long long>(last_hundred));
  EXPECT_LT(last_hundred, first_hundred * 3 / 2);
  EXPECT_LT(after.back(), 8u << 20);
  EXPECT_EQ(Recorded().size(), kFetches + 1u);
}

// A crash at every file operation of a re-fetch's commit and of the writer
// batch after it — between the journal append and the fold among them: the
// fetch is recorded once if its commit returned (at most once otherwise),
// and the report, journal, ledger and index agree after the restart.
TEST_F(StoreRetrievalsTest, CrashBetweenJournalWriteAndFoldLosesNothing) {
  for (int step = 0;; ++step) {
    SCOPED_TRACE("crash before mutating operation " + std::to_string(step));
    Stop();
    fs::remove_all(storage_);
    fault_ = std::make_unique<FaultInjectionEnv>(&fast_);
    Start(fault_.get());
    const MessageContext same = AliceContext(Direction::kReceived);
    const std::string first = Fetch(same), second = Fetch(same);
    ASSERT_FALSE(first.empty());
    ASSERT_FALSE(second.empty());
    store_->Flush();
    fault_->CrashAfter(step);
    const std::string third = Fetch(same);  // the same millisecond again
    store_->Flush();
    const bool crashed = fault_->crashed();
    fault_->Crash();
    Restart(&fast_);

    const std::vector<Retrieval> all = Recorded();
    std::set<std::string> expected = {first, second};
    if (!third.empty() || all.size() == 3) expected.insert(third.empty() ? all.back().id : third);
    EXPECT_EQ(all.size(), expected.size());
    EXPECT_EQ(Ids(all), expected);
    // Recovery folded whatever the journal held.
    EXPECT_EQ(CurrentReport().retrieval_count, all.size());
    EXPECT_EQ(FilesUnder(storage_ + "/archive", ".eml").size(), 1u);
    ExpectConsistent();
    if (!crashed) break;
    ASSERT_LT(step, 100);
  }
}

// The retrievals live in the files (report + journal), not in LevelDB: a
// rebuilt index loses none, and verify checks the journal against the
// chain its (ledger-hashed) report records.
TEST_F(StoreRetrievalsTest, ReindexKeepsEveryRetrievalAndVerifyChecksTheJournal) {
  Start(&fast_);
  const MessageContext same = AliceContext(Direction::kReceived);
  std::set<std::string> ids;
  for (int i = 0; i < 25; ++i) ids.insert(Fetch(same));
  store_->Flush();
  Stop();

  ReindexStats stats;
  Status s = Reindex(storage_, nullptr, &stats);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(stats.messages, 1u);
  EXPECT_THAT(stats.skipped, IsEmpty());
  Start(&fast_);
  EXPECT_EQ(Ids(Recorded()), ids);
  ExpectConsistent();

  // Another fetch after the rebuild continues the same journal.
  ids.insert(Fetch(same));
  store_->Flush();
  EXPECT_EQ(Ids(Recorded()), ids);
  EXPECT_EQ(CurrentReport().retrieval_count, 26u);
  ExpectConsistent();

  // A folded record edited (with a valid checksum) no longer matches the
  // report's chain.
  const std::string journal = RetrievalJournalPath(ReportPath());
  std::vector<RetrievalRecord> records;
  uint64_t end = 0;
  ASSERT_TRUE(ReadRetrievalRecords(Env::Default(), journal, 0, kWholeJournal, &records, &end).ok());
  std::string text = testing::ReadWholeFile(journal);
  Retrieval forged = records[3].retrieval;
  forged.client_ip = "127.0.0.9";  // same length: only the chain can tell
  const std::string line = SerializeRetrievalRecord(records[3].retrieval);
  const size_t at = text.find(line);
  ASSERT_NE(at, std::string::npos);
  text.replace(at, line.size(), SerializeRetrievalRecord(forged));
  std::ofstream(journal, std::ios::binary | std::ios::trunc) << text;
  VerifyOptions options;
  options.index = sink_->index();
  VerifyResult result;
  ASSERT_TRUE(VerifyArchive(storage_, options, &result).ok());
  EXPECT_THAT(result.problems,
              ::testing::ElementsAre(::testing::HasSubstr(".retrievals: retrievals differ from the chain")));
}

// The journal is part of the message: the zip export carries it beside the
// report, and retention purges it with the message.
TEST_F(StoreRetrievalsTest, ExportAndPurgeTakeTheJournalAlong) {
  Start(&fast_);
  const MessageContext same = AliceContext(Direction::kReceived);
  const std::string first = Fetch(same), again = Fetch(same);
  store_->Flush();
  const std::string journal = RetrievalJournalPath(ReportPath());
  const std::string records = testing::ReadWholeFile(journal);
  ASSERT_NE(records.find(again), std::string::npos);

  std::string zip;
  ExportStats stats;
  Status s = ExportSelection(sink_->index(), storage_, Query{}, ExportFormat::kZip,
                             [&zip](std::string_view data) { return zip.append(data), Status::Ok(); }, &stats);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(stats.messages, 1u);
  const std::string name = "alice/" + fs::relative(journal, storage_ + "/archive/alice").string();
  EXPECT_NE(zip.find(name), std::string::npos) << name;  // stored entries: name and bytes in the clear
  EXPECT_NE(zip.find(records), std::string::npos);

  IndexRecord record;
  bool found = false;
  ASSERT_TRUE(sink_->index()->Get(first, &record, &found).ok());
  ASSERT_TRUE(found);
  ASSERT_TRUE(sink_->Purge(record).ok());
  EXPECT_TRUE(FilesUnder(storage_ + "/archive", "").empty());
}

// Torn bytes of a crashed append do not swallow the record appended after
// them, and a report from before journals (listing every fetch itself)
// keeps all of them when its journal starts.
TEST_F(StoreRetrievalsTest, TornJournalTailAndOldReportsKeepEveryRetrieval) {
  Start(&fast_, /*with_index=*/false);
  MessageContext c = AliceContext(Direction::kReceived);
  const std::string first = Fetch(c);
  store_->Flush();
  // As an earlier version wrote it: three more fetches listed, no ids, no journal.
  Report old = CurrentReport();
  for (int i = 1; i <= 3; ++i)
    old.retrievals.push_back({"2026-11-2" + std::to_string(i) + "T10:00:00.000+09:00", "192.0.2." + std::to_string(i), ""});
  old.retrievals.front().id.clear();
  std::ofstream(ReportPath(), std::ios::binary | std::ios::trunc) << RenderReportXml(old);

  c.received_at += std::chrono::seconds(1);
  const std::string fifth = Fetch(c);
  store_->Flush();
  EXPECT_EQ(Recorded().size(), 5u);
  // A crash tore the next append; the one after the restart is still read.
  const std::string journal = RetrievalJournalPath(ReportPath());
  std::ofstream(journal, std::ios::binary | std::ios::app) << "retrieval 20261124T0000";
  c.received_at += std::chrono::seconds(1);
  const std::string sixth = Fetch(c);
  store_->Flush();

  const std::vector<Retrieval> all = Recorded();
  ASSERT_EQ(all.size(), 6u);
  EXPECT_EQ(all[1].client_ip, "192.0.2.1");
  EXPECT_EQ(all[3].client_ip, "192.0.2.3");
  EXPECT_EQ(all[4].id, fifth);
  EXPECT_EQ(all[5].id, sixth);
  const Report report = CurrentReport();
  EXPECT_EQ(report.retrieval_count, 6u);
  EXPECT_EQ(report.retrievals.size(), 6u);
  std::vector<std::string> problems;  // (the report was edited by hand above: no ledger check here)
  ASSERT_TRUE(CheckRetrievalJournal(Env::Default(), journal, "journal", report, &problems).ok());
  EXPECT_THAT(problems, IsEmpty());
}

TEST(RetrievalJournal, AChecksummedLineWithNoFieldsIsDamagedNotACrash) {
  // Found by fuzz_retrieval_journal: the checksum's space inside the marker.
  RetrievalRecord record;
  EXPECT_FALSE(ParseRetrievalLine("retrieval " + Fnv1a64Hex("retrieval"), &record));
  EXPECT_FALSE(ParseRetrievalLine("retrieval", &record));
}

TEST(RetrievalJournal, RecordsRoundTripAnyClientAddress) {
  for (const std::string ip : {"", "-", "fe80::1%eth0", "a b\nc", "山"}) {
    Retrieval r{"2026-11-24T16:20:24.123+09:00", ip, "20261124T072024Z-0123456789ab"};
    const std::string line = SerializeRetrievalRecord(r);
    EXPECT_EQ(line.find('\n'), line.size() - 1);
    testing::TempDir dir;
    const std::string path = dir.path() + "/x.retrievals";
    ASSERT_TRUE(AppendRetrievalRecords(Env::Default(), path, {r, r}, 0600).ok());
    std::vector<RetrievalRecord> records;
    uint64_t end = 0;
    ASSERT_TRUE(ReadRetrievalRecords(Env::Default(), path, 0, kWholeJournal, &records, &end).ok());
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(records[1].retrieval, r);
    EXPECT_EQ(end, 2 * line.size());
    // From an offset, only what follows it is read.
    ASSERT_TRUE(ReadRetrievalRecords(Env::Default(), path, line.size(), kWholeJournal, &records, &end).ok());
    EXPECT_EQ(records.size(), 1u);
  }
}

}  // namespace
}  // namespace mailtee::archive
