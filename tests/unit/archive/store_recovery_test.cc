// ArchiveStore crash and disk-fault paths: each spool phase left behind by a
// "crash" (store destroyed without commit), faults injected with
// FaultInjectionEnv, and a crash at every step of Commit. Every test runs
// twice: with the store's shared file-system sync (spool and archive on one
// file system) and with its fsyncs file by file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "archive/archive_store.h"
#include "archive/fault_injection_env.h"
#include "archive/report.h"
#include "archive/spool_meta.h"
#include "archive_test_util.h"

namespace mailtee::archive {
namespace {

namespace fs = std::filesystem;
using testing::AliceContext;
using testing::FilesUnder;
using testing::MakeUniqueTempDir;
using testing::OnlyReportUnder;
using testing::ReadWholeFile;
using Op = FaultInjectionEnv::Op;

const std::string kMessage =
    "From: alice@example.com\r\nTo: bob@example.net\r\nSubject: crash test\r\n\r\nbody line\r\n";

class StoreRecoveryTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    root_ = MakeUniqueTempDir("store_recovery");
    ASSERT_FALSE(root_.empty());
    storage_ = root_ + "/storage";
    log_ = std::make_unique<LogBook>(root_ + "/logs", 0, false);
    ASSERT_TRUE(log_->Open().ok());
    fault_ = std::make_unique<FaultInjectionEnv>(Env::Default());
    fault_->set_file_system_sync(GetParam());
    ASSERT_TRUE(ArchiveStore::Open(storage_, fault_.get(), log_.get(), &store_).ok());
    ASSERT_EQ(store_->syncs_file_system(), GetParam());
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(root_);
  }

  std::unique_ptr<Capture> Spool(const std::string& message = kMessage) {
    std::unique_ptr<Capture> capture;
    EXPECT_TRUE(store_->Begin(AliceContext(), &capture).ok());
    EXPECT_TRUE(capture->Append(message).ok());
    return capture;
  }

  // The daemon stops (or dies) and starts again on a healthy disk.
  RecoveryStats Restart() {
    store_.reset();
    Status s = ArchiveStore::Open(storage_, Env::Default(), log_.get(), &store_);
    EXPECT_TRUE(s.ok()) << s.message();
    RecoveryStats stats;
    s = store_->Recover(&stats);
    EXPECT_TRUE(s.ok()) << s.message();
    return stats;
  }

  Report OnlyReport() { return OnlyReportUnder(storage_ + "/archive"); }

  std::string PartPath(const std::string& id) { return storage_ + "/spool/" + id + ".eml.part"; }

  // A capture of kMessage the daemon died with, whose meta got the update
  // block one shared sync was to make durable with the bytes: phase (with a
  // verdict after the seal) and the bytes' SHA-256. Returns the id.
  std::string CrashWithHashRecorded(Direction direction, SpoolPhase phase, SpoolMeta* recorded = nullptr) {
    std::unique_ptr<Capture> capture;
    EXPECT_TRUE(store_->Begin(AliceContext(direction), &capture).ok());
    EXPECT_TRUE(capture->Append(kMessage).ok());
    const std::string id = capture->id();
    capture.reset();  // the daemon dies
    const std::string meta_path = storage_ + "/spool/" + id + ".meta";
    SpoolMeta meta;
    EXPECT_TRUE(ParseSpoolMeta(ReadWholeFile(meta_path), &meta).ok());
    meta.phase = phase;
    if (phase != SpoolPhase::kSealed) {
      meta.has_outcome = true;
      meta.outcome = {Outcome::Kind::kRelayed, 0, "+OK", std::chrono::system_clock::from_time_t(1795537300)};
    }
    MessageSummary spooled;
    EXPECT_TRUE(AnalyzeStoredMessage(Env::Default(), PartPath(id), &spooled).ok());
    meta.spooled_sha256 = spooled.sha256_hex;
    std::ofstream(meta_path, std::ios::binary | std::ios::app) << SerializeSpoolUpdate(meta);
    if (recorded != nullptr) *recorded = meta;
    return id;
  }

  std::string root_, storage_;
  std::unique_ptr<LogBook> log_;
  std::unique_ptr<FaultInjectionEnv> fault_;
  std::unique_ptr<ArchiveStore> store_;
};

TEST_P(StoreRecoveryTest, UnsealedMessageIsDropped) {
  auto capture = Spool();
  capture.reset();  // crash while receiving
  RecoveryStats stats = Restart();
  EXPECT_EQ(stats.dropped_unsealed, 1);
  EXPECT_TRUE(fs::is_empty(storage_ + "/spool"));
  EXPECT_TRUE(FilesUnder(storage_ + "/archive", "").empty());
  EXPECT_NE(ReadWholeFile(FilesUnder(root_ + "/logs/system", "").at(0)).find("never told it was accepted"), std::string::npos);
}

// A POP3 commit with the shared sync makes the bytes and the verdict durable
// with one sync; the verdict records the bytes' SHA-256.
TEST_P(StoreRecoveryTest, ReceivedCommitSyncsBytesAndVerdictTogetherOnlyWithTheSharedSync) {
  std::unique_ptr<Capture> capture;
  ASSERT_TRUE(store_->Begin(AliceContext(Direction::kReceived), &capture).ok());
  ASSERT_TRUE(capture->Append(kMessage).ok());
  const int syncs = fault_->count(Op::kSync);
  ASSERT_TRUE(capture->Commit({Outcome::Kind::kRelayed, 0, "+OK", {}}).ok());
  EXPECT_EQ(fault_->count(Op::kSync) - syncs, GetParam() ? 1 : 2) << "file by file: the spool, then the meta";
  store_->Flush();
  EXPECT_EQ(ReadWholeFile(FilesUnder(storage_ + "/archive", ".eml").at(0)), kMessage);
}

// What a crash inside that one sync may leave: the verdict on disk, the bytes
// not (here: other bytes). Recovery drops it; a matching one is archived.
TEST_P(StoreRecoveryTest, ReceivedVerdictWhoseBytesDidNotReachTheDiskIsDropped) {
  enum class Lost { kBytes, kPartEntry, kNothing };
  for (Lost lost : {Lost::kBytes, Lost::kPartEntry, Lost::kNothing}) {
    const bool bytes_match = lost == Lost::kNothing;
    SCOPED_TRACE(lost == Lost::kBytes ? "bytes lost" : lost == Lost::kPartEntry ? "part's entry lost" : "all on disk");
    const std::string id = CrashWithHashRecorded(Direction::kReceived, SpoolPhase::kAccepted);
    if (lost == Lost::kBytes) {
      std::ofstream(PartPath(id), std::ios::binary | std::ios::trunc)
          << std::string(kMessage.size(), '\0');  // the blocks never written
    } else if (lost == Lost::kPartEntry) {
      fs::remove(PartPath(id));  // created by Begin, first made durable by that sync
    }

    RecoveryStats stats = Restart();
    EXPECT_TRUE(fs::is_empty(storage_ + "/spool"));
    if (bytes_match) {
      EXPECT_EQ(stats.finished_commits, 1);
      EXPECT_EQ(ReadWholeFile(FilesUnder(storage_ + "/archive", ".eml").at(0)), kMessage);
    } else {
      EXPECT_EQ(stats.dropped_unsealed, 1);
      EXPECT_TRUE(FilesUnder(storage_ + "/archive", ".eml").empty());
      EXPECT_TRUE(FilesUnder(storage_ + "/archive", ".xml").empty()) << "no report without its message";
      EXPECT_NE(ReadWholeFile(FilesUnder(root_ + "/logs/system", "").at(0)).find("did not reach the disk"),
                std::string::npos);
    }
  }
}

// The same verdict after the part was renamed into the archive (the sync had
// finished): recovery finishes the commit from the archived .eml.
TEST_P(StoreRecoveryTest, ReceivedVerdictWithItsPartAlreadyArchivedIsFinished) {
  SpoolMeta meta;
  const std::string id = CrashWithHashRecorded(Direction::kReceived, SpoolPhase::kAccepted, &meta);
  fs::create_directories(storage_ + "/" + meta.archive_dir);
  fs::rename(PartPath(id), storage_ + "/" + meta.archive_dir + "/" + id + ".eml");

  RecoveryStats stats = Restart();
  EXPECT_EQ(stats.finished_commits, 1);
  EXPECT_EQ(stats.dropped_unsealed, 0);
  EXPECT_TRUE(fs::is_empty(storage_ + "/spool"));
  EXPECT_EQ(ReadWholeFile(FilesUnder(storage_ + "/archive", ".eml").at(0)), kMessage);
  EXPECT_EQ(FilesUnder(storage_ + "/archive", ".xml").size(), 1u);
}

// The seal: one shared sync for the bytes and the sealed record (which then
// carries their SHA-256), or file by file the spool then the meta.
TEST_P(StoreRecoveryTest, SealSyncsBytesAndRecordTogetherOnlyWithTheSharedSync) {
  auto capture = Spool();
  const int syncs = fault_->count(Op::kSync);
  ASSERT_TRUE(capture->SealForRelay().ok());
  EXPECT_EQ(fault_->count(Op::kSync) - syncs, GetParam() ? 1 : 2);
  const std::string meta = ReadWholeFile(storage_ + "/spool/" + capture->id() + ".meta");
  EXPECT_EQ(meta.find("spooled-sha256 ") != std::string::npos, GetParam()) << meta;
}

// A crash inside the seal's one sync may keep the sealed record without the
// bytes (or the part's entry): the dot never went upstream, the client heard
// nothing, so recovery drops it instead of archiving zeros as "unknown".
TEST_P(StoreRecoveryTest, SealedRecordWhoseBytesDidNotReachTheDiskIsDropped) {
  for (bool part_gone : {false, true}) {
    SCOPED_TRACE(part_gone ? "part's entry lost" : "bytes lost");
    const std::string id = CrashWithHashRecorded(Direction::kSent, SpoolPhase::kSealed);
    const std::string part = PartPath(id);
    if (part_gone) {
      fs::remove(part);
    } else {
      std::ofstream(part, std::ios::binary | std::ios::trunc) << std::string(kMessage.size(), '\0');
    }
    RecoveryStats stats = Restart();
    EXPECT_EQ(stats.dropped_unsealed, 1);
    EXPECT_EQ(stats.archived_unknown, 0);
    EXPECT_TRUE(fs::is_empty(storage_ + "/spool"));
    EXPECT_TRUE(FilesUnder(storage_ + "/archive", "").empty());
    EXPECT_NE(ReadWholeFile(FilesUnder(root_ + "/logs/system", "").at(0)).find("never heard it was accepted"),
              std::string::npos);
  }
}

// A sent message whose verdict was recorded after the seal's sync: the client
// may have heard 250, so even with its part gone (and not archived) it is
// never dropped; its report is still written.
TEST_P(StoreRecoveryTest, SentMessageWithARecordedVerdictIsNeverDroppedForItsHash) {
  SpoolMeta meta;
  const std::string id = CrashWithHashRecorded(Direction::kSent, SpoolPhase::kAccepted, &meta);
  fs::remove(PartPath(id));
  RecoveryStats stats = Restart();
  EXPECT_EQ(stats.dropped_unsealed, 0);
  EXPECT_EQ(stats.finished_commits, 1);
  EXPECT_EQ(FilesUnder(storage_ + "/archive", ".xml").size(), 1u) << "the report records the accepted message";
  EXPECT_TRUE(fs::is_empty(storage_ + "/spool"));
}

TEST_P(StoreRecoveryTest, SealedMessageIsArchivedWithOutcomeUnknown) {
  auto capture = Spool();
  const std::string id = capture->id();
  ASSERT_TRUE(capture->SealForRelay().ok());
  capture.reset();  // crash after the dot went upstream, before the reply
  RecoveryStats stats = Restart();
  EXPECT_EQ(stats.archived_unknown, 1);
  EXPECT_TRUE(fs::is_empty(storage_ + "/spool"));
  auto emls = FilesUnder(storage_ + "/archive", ".eml");
  ASSERT_EQ(emls.size(), 1u);
  EXPECT_EQ(emls[0].stem(), id);
  EXPECT_EQ(ReadWholeFile(emls[0]), kMessage);
  Report r = OnlyReport();
  EXPECT_EQ(r.outcome, "unknown");
  EXPECT_EQ(r.outcome_reply, kUnknownOutcomeReply);
  EXPECT_EQ(r.summary.subject, "crash test");
  EXPECT_EQ(r.summary.size, kMessage.size());
  EXPECT_EQ(Restart().archived_unknown, 0);  // nothing left to do the second time
}

TEST_P(StoreRecoveryTest, RenameFailureInCommitIsFinishedByRecovery) {
  auto capture = Spool();
  ASSERT_TRUE(capture->SealForRelay().ok());
  // The verdict is appended to the meta in place: Commit's first rename is
  // the spool into the archive.
  fault_->FailRename(1);
  Status s = capture->Commit({Outcome::Kind::kRelayed, 250, "250 queued", {}});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("rename"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("while archiving message " + capture->id()), std::string::npos) << s.message();
  capture->Abort("commit failed");  // must not throw away a message the provider accepted
  capture.reset();

  RecoveryStats stats = Restart();
  EXPECT_EQ(stats.finished_commits, 1);
  EXPECT_EQ(FilesUnder(storage_ + "/archive", ".eml").size(), 1u);
  Report r = OnlyReport();
  EXPECT_EQ(r.outcome, "relayed");
  EXPECT_EQ(r.outcome_reply, "250 queued");
  EXPECT_TRUE(fs::is_empty(storage_ + "/spool"));
}

TEST_P(StoreRecoveryTest, VerdictThatCouldNotBeRecordedIsArchivedAsUnknown) {
  auto capture = Spool();
  ASSERT_TRUE(capture->SealForRelay().ok());
  fault_->FailSync(1, ENOSPC);  // the verdict's meta cannot be made durable
  Status s = capture->Commit({Outcome::Kind::kRelayed, 250, "250 queued", {}});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("while recording phase accepted"), std::string::npos) << s.message();
  capture->Abort("commit failed");  // the provider has the message: the archive keeps it
  capture.reset();
  fault_->Crash();  // the verdict's append, never fsynced, is lost
  RecoveryStats stats = Restart();
  EXPECT_EQ(stats.archived_unknown, 1);
  EXPECT_EQ(FilesUnder(storage_ + "/archive", ".eml").size(), 1u);
  EXPECT_EQ(OnlyReport().outcome, "unknown");
}

TEST_P(StoreRecoveryTest, RetriedCommitFinishesAfterATransientFailure) {
  auto capture = Spool();
  ASSERT_TRUE(capture->SealForRelay().ok());
  fault_->FailRename(2);  // the report's rename, after the .eml's
  ASSERT_FALSE(capture->Commit({Outcome::Kind::kRelayed, 250, "250 queued", {}}).ok());
  ASSERT_TRUE(capture->Commit({Outcome::Kind::kRelayed, 250, "250 queued", {}}).ok());
  EXPECT_EQ(FilesUnder(storage_ + "/archive", ".eml").size(), 1u);
  EXPECT_EQ(OnlyReport().outcome, "relayed");
  store_->Flush();
  EXPECT_TRUE(fs::is_empty(storage_ + "/spool"));
  // Everything the retry relied on from the failed attempt was made durable too.
  fault_->Crash();
  EXPECT_EQ(Restart().finished_commits, 0);
  EXPECT_EQ(FilesUnder(storage_ + "/archive", ".eml").size(), 1u);
  EXPECT_EQ(OnlyReport().outcome, "relayed");
}

// A failed fsync of the verdict leaves its bytes in the file: without a crash
// they are read back, and they are the truth (the provider did accept).
TEST_P(StoreRecoveryTest, VerdictWhoseFsyncFailedIsReadBackIfTheDiskKeptIt) {
  auto capture = Spool();
  ASSERT_TRUE(capture->SealForRelay().ok());
  fault_->FailSync(1, EIO);
  ASSERT_FALSE(capture->Commit({Outcome::Kind::kRelayed, 250, "250 queued", {}}).ok());
  // A retry rewrites the whole meta atomically: the journal's tail is unknown.
  ASSERT_TRUE(capture->Commit({Outcome::Kind::kRelayed, 250, "250 queued", {}}).ok());
  store_->Flush();
  EXPECT_EQ(OnlyReport().outcome, "relayed");
  if (GetParam()) {
    // A failed file-system sync is sticky (group_sync.h): the writer cannot
    // make the files durable any more, so the meta stays for the next start.
    EXPECT_FALSE(fs::is_empty(storage_ + "/spool"));
    EXPECT_EQ(Restart().finished_commits, 1);
    EXPECT_EQ(OnlyReport().outcome, "relayed");
  }
  EXPECT_TRUE(fs::is_empty(storage_ + "/spool"));
}

// After a failed file-system sync nothing new is acknowledged: the kernel
// reported the lost write-back once, and a later syncfs would not.
TEST_P(StoreRecoveryTest, AfterAFailedFileSystemSyncNoSealSucceedsUntilRestart) {
  if (!GetParam()) GTEST_SKIP() << "file by file, each file's own fsync reports its own errors";
  auto first = Spool();
  fault_->FailSync(1, EIO);
  Status s = first->SealForRelay();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("restart mailtee"), std::string::npos) << s.message();
  auto second = Spool("From: b@example.com\r\n\r\nsecond\r\n");
  s = second->SealForRelay();  // the fault was one-shot: only the stickiness fails it
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("Input/output error"), std::string::npos) << s.message();
  first->Abort("test");
  second->Abort("test");
  Restart();
  auto third = Spool();
  EXPECT_TRUE(third->SealForRelay().ok()) << "a restarted store syncs again";
}

TEST_P(StoreRecoveryTest, EmlAlreadyInArchiveOnlyTheReportIsWritten) {
  auto capture = Spool();
  ASSERT_TRUE(capture->SealForRelay().ok());
  // The only file Commit creates is the report's temp (the verdict is appended).
  fault_->FailNth(Op::kCreateFile, 1, ENOSPC);
  ASSERT_FALSE(capture->Commit({Outcome::Kind::kHeld, 250, "250 held for approval", {}}).ok());
  capture.reset();
  EXPECT_EQ(FilesUnder(storage_ + "/archive", ".eml").size(), 1u);
  EXPECT_TRUE(FilesUnder(storage_ + "/archive", ".xml").empty());

  RecoveryStats stats = Restart();
  EXPECT_EQ(stats.finished_commits, 1);
  EXPECT_EQ(ReadWholeFile(FilesUnder(storage_ + "/archive", ".eml")[0]), kMessage);
  EXPECT_EQ(OnlyReport().outcome, "held");
  EXPECT_TRUE(fs::is_empty(storage_ + "/spool"));
}

TEST_P(StoreRecoveryTest, InterruptedRefusalIsRecordedWithoutTheMessage) {
  auto capture = Spool();
  ASSERT_TRUE(capture->SealForRelay().ok());
  fault_->FailNth(Op::kCreateFile, 1, ENOSPC);
  ASSERT_FALSE(capture->Commit({Outcome::Kind::kRefused, 550, "550 no such user", {}}).ok());
  capture.reset();
  RecoveryStats stats = Restart();
  EXPECT_EQ(stats.finished_commits, 1);
  EXPECT_TRUE(FilesUnder(storage_ + "/archive", ".eml").empty());
  Report r = OnlyReport();
  EXPECT_EQ(r.outcome, "refused");
  EXPECT_EQ(r.outcome_code, 550);
  EXPECT_EQ(r.summary.size, kMessage.size());
  EXPECT_TRUE(fs::is_empty(storage_ + "/spool"));
}

TEST_P(StoreRecoveryTest, OrphansTornMetaAndStaleTempsAreCleaned) {
  const std::string spool = storage_ + "/spool/";
  std::ofstream(spool + "20261124T162024Z-000000000001.eml.part") << "orphan";
  std::ofstream(spool + "20261124T162024Z-000000000002.eml.part") << "torn";
  std::ofstream(spool + "20261124T162024Z-000000000002.meta") << "mailtee-spool-meta 1\nid 2026";
  std::ofstream(spool + "20261124T162024Z-000000000003.xml.tmp") << "<half";
  RecoveryStats stats = Restart();
  EXPECT_EQ(stats.orphans_removed, 1);
  EXPECT_EQ(stats.dropped_unsealed, 1);
  EXPECT_EQ(stats.temps_removed, 1);
  EXPECT_EQ(stats.failed, 0);
  EXPECT_TRUE(fs::is_empty(storage_ + "/spool"));
}

TEST_P(StoreRecoveryTest, DiskFullDuringAppendIsAnErrorWithContext) {
  std::unique_ptr<Capture> capture;
  ASSERT_TRUE(store_->Begin(AliceContext(), &capture).ok());
  fault_->FailWrite(2);
  EXPECT_TRUE(capture->Append("first chunk\r\n").ok());
  Status s = capture->Append("second chunk\r\n");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("No space left on device"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(capture->id() + ".eml.part"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("while spooling message"), std::string::npos) << s.message();
  // The hole is sticky: the message can be neither appended to nor committed.
  EXPECT_FALSE(capture->Append("third\r\n").ok());
  EXPECT_FALSE(capture->SealForRelay().ok());
  EXPECT_FALSE(capture->Commit({Outcome::Kind::kRelayed, 250, "ok", {}}).ok());
  capture->Abort("disk full");
  EXPECT_TRUE(fs::is_empty(storage_ + "/spool"));
  EXPECT_TRUE(FilesUnder(storage_ + "/archive", "").empty());
}

TEST_P(StoreRecoveryTest, FsyncFailureDuringSealIsAnError) {
  for (int nth : {1, 2}) {  // 1: the spool file, 2: the sealed meta
    auto capture = Spool();
    fault_->FailSync(nth);
    Status s = capture->SealForRelay();
    ASSERT_FALSE(s.ok()) << nth;
    EXPECT_NE(s.message().find("fsync"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("Input/output error"), std::string::npos) << s.message();
    capture->Abort("cannot seal: refusing the message");
  }
  EXPECT_TRUE(fs::is_empty(storage_ + "/spool"));
}

// Crash at every mutating step of SealForRelay + Commit (on a disk that loses
// whatever was not fsynced) and restart: a sealed message is never lost, never
// duplicated, and its verdict is either the provider's or "unknown".
TEST_P(StoreRecoveryTest, CrashAtEveryStepOfCommitLosesNothing) {
  for (int step = 0;; ++step) {
    SCOPED_TRACE("crash before mutating operation " + std::to_string(step));
    fs::remove_all(storage_);
    fault_ = std::make_unique<FaultInjectionEnv>(Env::Default());
    fault_->set_file_system_sync(GetParam());
    store_.reset();
    ASSERT_TRUE(ArchiveStore::Open(storage_, fault_.get(), log_.get(), &store_).ok());
    auto capture = Spool();
    ASSERT_TRUE(capture->SealForRelay().ok());
    fault_->CrashAfter(step);
    bool committed = capture->Commit({Outcome::Kind::kRelayed, 250, "250 queued", {}}).ok();
    // The steps of the background writer get their crash points too: a crash
    // after Commit returned (the client heard 250) and before the writer made
    // the files durable must still end with the message archived as relayed.
    store_->Flush();
    bool crashed = fault_->crashed();
    capture.reset();
    fault_->Crash();  // power cut now, whatever happened
    Restart();

    auto emls = FilesUnder(storage_ + "/archive", ".eml");
    ASSERT_EQ(emls.size(), 1u);
    EXPECT_EQ(ReadWholeFile(emls[0]), kMessage);
    Report r = OnlyReport();
    if (committed) {
      EXPECT_EQ(r.outcome, "relayed");
    } else {
      EXPECT_TRUE(r.outcome == "relayed" || r.outcome == "unknown") << r.outcome;
    }
    EXPECT_TRUE(fs::is_empty(storage_ + "/spool"));
    if (!crashed) break;  // Commit finished before the planned crash point
    ASSERT_LT(step, 100);
  }
}

// Crash at every step from Begin to the end of Commit: if SealForRelay had
// returned ok the message is archived after restart; before that it may only
// be dropped whole, never archived half.
TEST_P(StoreRecoveryTest, CrashAtEveryStepFromBeginKeepsEverySealedMessage) {
  for (int step = 0;; ++step) {
    SCOPED_TRACE("crash before mutating operation " + std::to_string(step));
    fs::remove_all(storage_);
    fault_ = std::make_unique<FaultInjectionEnv>(Env::Default());
    fault_->set_file_system_sync(GetParam());
    store_.reset();
    ASSERT_TRUE(ArchiveStore::Open(storage_, fault_.get(), log_.get(), &store_).ok());
    fault_->CrashAfter(step);
    bool sealed = false;
    std::unique_ptr<Capture> capture;
    if (store_->Begin(AliceContext(), &capture).ok()) {
      bool appended = capture->Append(kMessage.substr(0, 20)).ok() && capture->Append(kMessage.substr(20)).ok();
      sealed = appended && capture->SealForRelay().ok();
      if (sealed) capture->Commit({Outcome::Kind::kRelayed, 250, "250 queued", {}});
    }
    store_->Flush();
    bool crashed = fault_->crashed();
    capture.reset();
    fault_->Crash();
    Restart();

    auto emls = FilesUnder(storage_ + "/archive", ".eml");
    if (sealed) {
      ASSERT_EQ(emls.size(), 1u);
      EXPECT_EQ(ReadWholeFile(emls[0]), kMessage);
      EXPECT_EQ(FilesUnder(storage_ + "/archive", ".xml").size(), 1u);
    } else {
      EXPECT_TRUE(FilesUnder(storage_ + "/archive", "").empty());
    }
    EXPECT_TRUE(fs::is_empty(storage_ + "/spool"));
    if (!crashed) break;
    ASSERT_LT(step, 100);
  }
}

// The same for a POP3 message fetched a second time (the dedupe path): one
// copy, and the second retrieval is recorded at most once.
TEST_P(StoreRecoveryTest, CrashAtEveryStepOfADuplicateFetch) {
  for (int step = 0;; ++step) {
    SCOPED_TRACE("crash before mutating operation " + std::to_string(step));
    fs::remove_all(storage_);
    fault_ = std::make_unique<FaultInjectionEnv>(Env::Default());
    fault_->set_file_system_sync(GetParam());
    store_.reset();
    ASSERT_TRUE(ArchiveStore::Open(storage_, fault_.get(), log_.get(), &store_).ok());
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
    bool committed = capture->Commit({Outcome::Kind::kRelayed, 0, "+OK", {}}).ok();
    store_->Flush();
    bool crashed = fault_->crashed();
    capture.reset();
    fault_->Crash();
    Restart();

    EXPECT_EQ(FilesUnder(storage_ + "/archive", ".eml").size(), 1u);
    Report r = OnlyReport();
    if (committed) {
      EXPECT_EQ(r.retrievals.size(), 2u);
    } else {
      EXPECT_TRUE(r.retrievals.size() == 1 || r.retrievals.size() == 2) << r.retrievals.size();
    }
    EXPECT_EQ(r.retrievals[0].client_ip, "127.0.0.1");
    EXPECT_TRUE(fs::is_empty(storage_ + "/spool"));
    if (!crashed) break;
    ASSERT_LT(step, 100);
  }
}

INSTANTIATE_TEST_SUITE_P(SyncModes, StoreRecoveryTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "FileSystemSync" : "FsyncPerFile";
                         });

}  // namespace
}  // namespace mailtee::archive
