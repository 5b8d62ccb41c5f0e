// ArchiveStore with pre-created spool files (PreopenSpoolFiles): a capture on a
// slot is archived byte-exact and its seal needs no `fsync spool/`; and what a
// crash leaves of slots (sealed, verdict recorded, unused, unsealed, a meta
// naming other files) is decided correctly by Recover().
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "archive/archive_store.h"
#include "archive/fault_injection_env.h"
#include "archive/report.h"
#include "archive/spool_meta.h"
#include "archive/spool_slots.h"
#include "archive_test_util.h"

namespace mailtee::archive {
namespace {

namespace fs = std::filesystem;
using testing::AliceContext;
using testing::EntryNames;
using testing::FilesUnder;
using testing::InodeOf;
using testing::MakeUniqueTempDir;
using testing::OnlyReportUnder;
using testing::ReadWholeFile;
using testing::ReceivedContext;
using Op = FaultInjectionEnv::Op;

// Enough that the one or two captures a test takes never wake the refill
// thread (it wakes at <= half), so it touches the disk only while filling.
constexpr size_t kSlots = 6;

const std::string kMessage =
    "From: alice@example.com\r\nTo: bob@example.net\r\nSubject: slot test\r\n\r\nbody line\r\n";

// Counts folder fsyncs per path (the seal must not fsync spool/ on a slot),
// and records what reaches the disk of a meta's recycling: the truncation
// (with the bytes it erased) and the fsync of the truncated meta, or a
// file-system sync after it. It sits below FaultInjectionEnv, so it sees only
// operations that really happened.
class CountingEnv : public EnvWrapper {
 public:
  using EnvWrapper::EnvWrapper;
  Status OpenFileSystemSync(const std::string& dir, std::unique_ptr<FileSystemSync>* out) override {
    std::unique_ptr<FileSystemSync> inner;
    Status s = EnvWrapper::OpenFileSystemSync(dir, &inner);
    if (!s.ok()) return s;
    out->reset(new CountingFileSystemSync(this, std::move(inner)));
    return Status::Ok();
  }
  int FileSystemSyncCount() {
    std::lock_guard<std::mutex> lock(mu_);
    return fs_syncs_;
  }
  Status SyncDir(const std::string& path) override {
    Status s = EnvWrapper::SyncDir(path);
    std::lock_guard<std::mutex> lock(mu_);
    sync_dirs_[path]++;
    if (s.ok()) last_sync_dir_[path] = ++seq_;
    return s;
  }
  int SyncDirCount(const std::string& path) {
    std::lock_guard<std::mutex> lock(mu_);
    return sync_dirs_[path];
  }
  Status NewWritableFile(const std::string& path, CreateMode mode, int perms,
                         std::unique_ptr<WritableFile>* out) override {
    if (mode == CreateMode::kTruncate && path.size() > 5 && path.compare(path.size() - 5, 5, ".meta") == 0) {
      std::string before;
      ReadWholeFile(target(), path, 1 << 20, &before);
      std::lock_guard<std::mutex> lock(mu_);
      truncated_[path] = before;
    }
    Status s = EnvWrapper::NewWritableFile(path, mode, perms, out);
    std::lock_guard<std::mutex> lock(mu_);
    if (s.ok()) created_[path] = ++seq_;
    return s;
  }
  // A point in the sequence of creations and folder fsyncs, for CreatedDurablySince.
  uint64_t Now() {
    std::lock_guard<std::mutex> lock(mu_);
    return seq_;
  }
  // True once path was created after `since` and its folder fsynced after that.
  bool CreatedDurablySince(const std::string& path, uint64_t since) {
    std::lock_guard<std::mutex> lock(mu_);
    auto created = created_.find(path);
    auto synced = last_sync_dir_.find(ParentDir(path));
    if (created == created_.end() || created->second <= since) return false;
    return (synced != last_sync_dir_.end() && synced->second > created->second) || last_fs_sync_ > created->second;
  }
  Status SyncFiles(const std::vector<std::string>& paths) override {
    Status s = EnvWrapper::SyncFiles(paths);
    std::lock_guard<std::mutex> lock(mu_);
    if (s.ok())
      for (const auto& path : paths)
        if (truncated_.count(path)) truncation_synced_.insert(path);
    return s;
  }
  // Metas truncated (path -> the bytes they held), and which of them were fsynced since.
  std::map<std::string, std::string> truncated() {
    std::lock_guard<std::mutex> lock(mu_);
    return truncated_;
  }
  bool TruncationSynced(const std::string& path) {
    std::lock_guard<std::mutex> lock(mu_);
    return truncation_synced_.count(path) > 0;
  }
  void ForgetTruncations() {
    std::lock_guard<std::mutex> lock(mu_);
    truncated_.clear();
    truncation_synced_.clear();
  }

 private:
  class CountingFileSystemSync : public FileSystemSync {
   public:
    CountingFileSystemSync(CountingEnv* env, std::unique_ptr<FileSystemSync> inner)
        : env_(env), inner_(std::move(inner)) {}
    Status Sync() override {
      Status s = inner_->Sync();
      std::lock_guard<std::mutex> lock(env_->mu_);
      env_->fs_syncs_++;
      if (s.ok()) {
        env_->last_fs_sync_ = ++env_->seq_;
        for (const auto& [path, bytes] : env_->truncated_) env_->truncation_synced_.insert(path);
      }
      return s;
    }

   private:
    CountingEnv* env_;
    std::unique_ptr<FileSystemSync> inner_;
  };

  std::mutex mu_;
  std::map<std::string, int> sync_dirs_;
  std::map<std::string, std::string> truncated_;
  std::set<std::string> truncation_synced_;
  uint64_t seq_ = 0;  // orders the creations and folder fsyncs below
  std::map<std::string, uint64_t> created_, last_sync_dir_;
  uint64_t last_fs_sync_ = 0;  // a file-system sync covers every folder
  int fs_syncs_ = 0;
};

class StoreSlotsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = MakeUniqueTempDir("store_slots");
    ASSERT_FALSE(root_.empty());
    storage_ = root_ + "/storage";
    spool_ = storage_ + "/spool";
    log_ = std::make_unique<LogBook>(root_ + "/logs", 0, false);
    ASSERT_TRUE(log_->Open().ok());
    OpenOnFaultEnv(kSlots);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(root_);
  }

  // A fresh store on a fresh FaultInjectionEnv (over the counting env);
  // slots > 0 starts the pool.
  void OpenOnFaultEnv(size_t slots) {
    store_.reset();
    fault_ = std::make_unique<FaultInjectionEnv>(&counting_);
    fault_->set_file_system_sync(file_system_sync_);
    Status s = ArchiveStore::Open(storage_, fault_.get(), log_.get(), &store_);
    ASSERT_TRUE(s.ok()) << s.message();
    ASSERT_EQ(store_->syncs_file_system(), file_system_sync_);
    if (slots > 0) store_->PreopenSpoolFiles(slots);
  }

  // Waits until the writer emptied stem's meta and the pool gave it a new,
  // empty .eml.part (a recycled slot); false on timeout.
  bool WaitUntilRecycled(const std::string& stem) {
    const std::string meta = spool_ + "/" + stem + ".meta", part = spool_ + "/" + stem + ".eml.part";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::error_code ec;
    while (!(fs::exists(meta) && fs::exists(part) && fs::file_size(meta, ec) == 0 && fs::file_size(part, ec) == 0)) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return true;
  }

  // The spool stem of message id: the file whose meta names it ("" if none).
  std::string StemOf(const std::string& id) {
    for (const auto& name : EntryNames(spool_)) {
      if (fs::path(name).extension() != ".meta") continue;
      if (ReadWholeFile(spool_ + "/" + name).find("\nid " + id + "\n") != std::string::npos)
        return name.substr(0, name.size() - 5);
    }
    return "";
  }

  // Begin on a pre-created slot. The pool fills in the background; until it
  // has, Begin creates its own files: those captures are aborted and Begin
  // is tried again. (The pool hands a refill's slots out all at once, so
  // after the first slot capture the rest of the fill is ready too.)
  std::unique_ptr<Capture> BeginOnSlot(std::string* stem, const MessageContext& context = AliceContext()) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
      std::unique_ptr<Capture> capture;
      Status s = store_->Begin(context, &capture);
      EXPECT_TRUE(s.ok()) << s.message();
      if (!s.ok()) return nullptr;
      *stem = StemOf(capture->id());
      if (IsSpoolSlotName(*stem)) return capture;
      capture->Abort("test: the pool is still filling");
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "the spool slot pool never filled";
        return nullptr;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }

  // Stems in spool/ that are empty slot pairs (both files present, both empty).
  // Fails the test on any other file.
  std::set<std::string> EmptySlotPairs() {
    std::set<std::string> stems;
    for (const auto& name : EntryNames(spool_)) {
      fs::path p(name);
      std::string stem = p.extension() == ".meta" ? p.stem().string()
                         : name.size() > 9 && name.substr(name.size() - 9) == ".eml.part"
                             ? name.substr(0, name.size() - 9)
                             : "";
      EXPECT_TRUE(IsSpoolSlotName(stem)) << "unexpected spool file " << name;
      EXPECT_EQ(fs::file_size(spool_ + "/" + name), 0u) << name;
      if (IsSpoolSlotName(stem)) stems.insert(stem);
    }
    for (const auto& stem : stems) {
      EXPECT_TRUE(fs::exists(spool_ + "/" + stem + ".meta")) << stem;
      EXPECT_TRUE(fs::exists(spool_ + "/" + stem + ".eml.part")) << stem;
    }
    return stems;
  }

  // The daemon starts again on a healthy disk (no slots, as during Recover).
  RecoveryStats Restart(Status* recovered = nullptr) {
    store_.reset();
    Status s = ArchiveStore::Open(storage_, Env::Default(), log_.get(), &store_);
    EXPECT_TRUE(s.ok()) << s.message();
    RecoveryStats stats;
    s = store_->Recover(&stats);
    if (recovered != nullptr) {
      *recovered = s;
    } else {
      EXPECT_TRUE(s.ok()) << s.message();
    }
    return stats;
  }

  std::string Logs() {
    std::string all;
    for (const auto& f : FilesUnder(root_ + "/logs", "")) all += ReadWholeFile(f);
    return all;
  }

  Report OnlyReport() { return OnlyReportUnder(storage_ + "/archive"); }

  std::string root_, storage_, spool_;
  std::unique_ptr<LogBook> log_;
  CountingEnv counting_{Env::Default()};
  std::unique_ptr<FaultInjectionEnv> fault_;
  std::unique_ptr<ArchiveStore> store_;
  // false: the store fsyncs file by file, as when spool/ and archive/ are on
  // different file systems; true: one shared syncfs (group_sync.h).
  bool file_system_sync_ = true;
};

TEST_F(StoreSlotsTest, SlotCaptureIsArchivedByteExactWithoutASpoolFsyncAtSeal) {
  std::string stem;
  auto capture = BeginOnSlot(&stem);
  ASSERT_NE(capture, nullptr);
  const std::string id = capture->id();
  EXPECT_NE(stem, id);
  ASSERT_TRUE(capture->Append(kMessage.substr(0, 25)).ok());
  ASSERT_TRUE(capture->Append(kMessage.substr(25)).ok());

  const int spool_fsyncs = counting_.SyncDirCount(spool_);
  ASSERT_TRUE(capture->SealForRelay().ok());
  EXPECT_EQ(counting_.SyncDirCount(spool_), spool_fsyncs) << "the seal fsynced spool/ although the slot is durable";
  const std::string meta = ReadWholeFile(spool_ + "/" + stem + ".meta");
  EXPECT_NE(meta.find("\nspool " + stem + "\n"), std::string::npos) << meta;
  EXPECT_NE(meta.find("\nid " + id + "\n"), std::string::npos) << meta;
  EXPECT_EQ(ReadWholeFile(spool_ + "/" + stem + ".eml.part"), kMessage);

  ASSERT_TRUE(capture->Commit({Outcome::Kind::kRelayed, 250, "250 queued", {}}).ok());
  store_->Flush();

  auto emls = FilesUnder(storage_ + "/archive", ".eml");
  ASSERT_EQ(emls.size(), 1u);
  EXPECT_EQ(emls[0].stem(), id);  // named by the message id, not the slot
  EXPECT_EQ(ReadWholeFile(emls[0]), kMessage);
  Report r = OnlyReport();
  EXPECT_EQ(r.id, id);
  EXPECT_EQ(r.outcome, "relayed");
  EXPECT_EQ(r.summary.size, kMessage.size());

  // spool/ holds only empty slots, nothing of the message: its meta was
  // emptied and reused (no inode freed per message), and the pool's thread
  // gives it a new, empty .eml.part.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!fs::exists(spool_ + "/" + stem + ".eml.part") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  std::set<std::string> left = EmptySlotPairs();
  EXPECT_EQ(left.size(), kSlots);
  EXPECT_EQ(left.count(stem), 1u) << "the used slot was not recycled";
  EXPECT_EQ(StemOf(id), "");

  // A clean shutdown removes the untaken slots too.
  store_.reset();
  EXPECT_TRUE(fs::is_empty(spool_)) << EntryNames(spool_).size();
}

// The counterpart that shows the count above can see a seal's fsync.
TEST_F(StoreSlotsTest, WithoutSlotsTheSealFsyncsTheSpoolFolder) {
  file_system_sync_ = false;
  OpenOnFaultEnv(0);
  std::unique_ptr<Capture> capture;
  ASSERT_TRUE(store_->Begin(AliceContext(), &capture).ok());
  EXPECT_EQ(StemOf(capture->id()), capture->id());
  ASSERT_TRUE(capture->Append(kMessage).ok());
  const int spool_fsyncs = counting_.SyncDirCount(spool_);
  ASSERT_TRUE(capture->SealForRelay().ok());
  EXPECT_EQ(counting_.SyncDirCount(spool_), spool_fsyncs + 1);
  ASSERT_TRUE(capture->Commit({Outcome::Kind::kRelayed, 250, "250 queued", {}}).ok());
  store_->Flush();
  EXPECT_EQ(ReadWholeFile(FilesUnder(storage_ + "/archive", ".eml").at(0)), kMessage);
}

// With one file system, the seal is one file-system sync (bytes and the
// sealed record with their SHA-256), which makes the new spool entries
// durable as well.
TEST_F(StoreSlotsTest, WithoutSlotsTheSealsFileSystemSyncsCoverTheSpoolFolder) {
  OpenOnFaultEnv(0);
  std::unique_ptr<Capture> capture;
  ASSERT_TRUE(store_->Begin(AliceContext(), &capture).ok());
  ASSERT_TRUE(capture->Append(kMessage).ok());
  const int spool_fsyncs = counting_.SyncDirCount(spool_);
  const int fs_syncs = counting_.FileSystemSyncCount();
  ASSERT_TRUE(capture->SealForRelay().ok());
  EXPECT_EQ(counting_.SyncDirCount(spool_), spool_fsyncs);
  EXPECT_EQ(counting_.FileSystemSyncCount(), fs_syncs + 1);
  ASSERT_TRUE(capture->Commit({Outcome::Kind::kRelayed, 250, "250 queued", {}}).ok());
  store_->Flush();
  EXPECT_EQ(ReadWholeFile(FilesUnder(storage_ + "/archive", ".eml").at(0)), kMessage);
}

TEST_F(StoreSlotsTest, SealedSlotMessageIsArchivedAsUnknownAfterACrash) {
  std::string stem;
  auto capture = BeginOnSlot(&stem);
  ASSERT_NE(capture, nullptr);
  const std::string id = capture->id();
  ASSERT_TRUE(capture->Append(kMessage).ok());
  ASSERT_TRUE(capture->SealForRelay().ok());
  capture.reset();
  fault_->Crash();  // power cut: the pool's destructor cannot clean up either

  RecoveryStats stats = Restart();
  EXPECT_EQ(stats.archived_unknown, 1);
  EXPECT_EQ(stats.unused_slots_removed, static_cast<int>(kSlots - 1));
  EXPECT_EQ(stats.dropped_unsealed, 0);
  EXPECT_EQ(stats.orphans_removed, 0);
  EXPECT_EQ(stats.failed, 0);
  auto emls = FilesUnder(storage_ + "/archive", ".eml");
  ASSERT_EQ(emls.size(), 1u);
  EXPECT_EQ(emls[0].stem(), id);
  EXPECT_EQ(ReadWholeFile(emls[0]), kMessage);
  Report r = OnlyReport();
  EXPECT_EQ(r.outcome, "unknown");
  EXPECT_EQ(r.outcome_reply, kUnknownOutcomeReply);
  EXPECT_EQ(r.summary.subject, "slot test");
  EXPECT_TRUE(fs::is_empty(spool_)) << EntryNames(spool_).size();
  EXPECT_EQ(Restart().archived_unknown, 0);
}

TEST_F(StoreSlotsTest, RecordedVerdictOfASlotMessageIsFinishedAfterACrash) {
  std::string stem;
  auto capture = BeginOnSlot(&stem);
  ASSERT_NE(capture, nullptr);
  ASSERT_TRUE(capture->Append(kMessage).ok());
  ASSERT_TRUE(capture->SealForRelay().ok());
  fault_->CrashAfter(2);  // the verdict's append and its fsync, then power cut
  Status s = capture->Commit({Outcome::Kind::kRelayed, 250, "250 queued", {}});
  ASSERT_FALSE(s.ok());
  // Past the verdict: the crash hit the archiving step.
  EXPECT_NE(s.message().find("while archiving message " + capture->id()), std::string::npos) << s.message();
  EXPECT_TRUE(fault_->crashed());
  capture.reset();

  RecoveryStats stats = Restart();
  EXPECT_EQ(stats.finished_commits, 1);
  EXPECT_EQ(stats.archived_unknown, 0);
  EXPECT_EQ(stats.unused_slots_removed, static_cast<int>(kSlots - 1));
  EXPECT_EQ(stats.failed, 0);
  auto emls = FilesUnder(storage_ + "/archive", ".eml");
  ASSERT_EQ(emls.size(), 1u);
  EXPECT_EQ(ReadWholeFile(emls[0]), kMessage);
  Report r = OnlyReport();
  EXPECT_EQ(r.outcome, "relayed");
  EXPECT_EQ(r.outcome_reply, "250 queued");
  EXPECT_TRUE(fs::is_empty(spool_)) << EntryNames(spool_).size();
}

TEST_F(StoreSlotsTest, UnusedEmptySlotPairsAreRemovedQuietly) {
  OpenOnFaultEnv(0);
  for (const char* stem : {"slot-0123456789abcdef", "slot-fedcba9876543210"}) {
    std::ofstream(spool_ + "/" + stem + ".meta");
    std::ofstream(spool_ + "/" + stem + ".eml.part");
  }
  RecoveryStats stats = Restart();
  EXPECT_EQ(stats.unused_slots_removed, 2);
  EXPECT_EQ(stats.dropped_unsealed, 0);
  EXPECT_EQ(stats.orphans_removed, 0);
  EXPECT_EQ(stats.failed, 0);
  EXPECT_TRUE(fs::is_empty(spool_)) << EntryNames(spool_).size();
  EXPECT_TRUE(FilesUnder(storage_ + "/archive", "").empty());
  EXPECT_EQ(Logs().find("slot-"), std::string::npos) << Logs();
}

// Only slot names get the quiet treatment: an empty meta of a message id is a
// torn meta, dropped and logged as such.
TEST_F(StoreSlotsTest, EmptyMetaOfANonSlotNameIsATornMeta) {
  OpenOnFaultEnv(0);
  std::ofstream(spool_ + "/20261124T162024Z-000000000009.meta");
  std::ofstream(spool_ + "/20261124T162024Z-000000000009.eml.part");
  std::ofstream(spool_ + "/slot-0123456789abcde.meta");  // 15 digits: not a slot name
  RecoveryStats stats = Restart();
  EXPECT_EQ(stats.unused_slots_removed, 0);
  EXPECT_EQ(stats.dropped_unsealed, 2);
  EXPECT_TRUE(fs::is_empty(spool_));
}

TEST_F(StoreSlotsTest, SlotMessageStillBeingReceivedIsDropped) {
  std::string stem;
  auto capture = BeginOnSlot(&stem);
  ASSERT_NE(capture, nullptr);
  ASSERT_TRUE(capture->Append(kMessage).ok());
  capture.reset();  // the session died mid-DATA; the process stops normally
  store_.reset();   // the pool removes its untaken pairs, not this one
  ASSERT_EQ(EntryNames(spool_), (std::set<std::string>{stem + ".eml.part", stem + ".meta"}));
  const std::string meta = ReadWholeFile(spool_ + "/" + stem + ".meta");
  EXPECT_NE(meta.find("\nphase receiving\n"), std::string::npos) << meta;
  EXPECT_EQ(meta.find("update"), std::string::npos) << meta;

  RecoveryStats stats = Restart();
  EXPECT_EQ(stats.dropped_unsealed, 1);
  EXPECT_EQ(stats.unused_slots_removed, 0);
  EXPECT_EQ(stats.failed, 0);
  EXPECT_TRUE(fs::is_empty(spool_));
  EXPECT_TRUE(FilesUnder(storage_ + "/archive", "").empty());
  EXPECT_NE(Logs().find("never told it was accepted"), std::string::npos);
}

// After a power cut the unsealed first block (never fsynced) is gone: the
// slot is empty again and counted as unused.
TEST_F(StoreSlotsTest, SlotWhoseFirstBlockWasLostInACrashIsAnUnusedSlot) {
  std::string stem;
  auto capture = BeginOnSlot(&stem);
  ASSERT_NE(capture, nullptr);
  ASSERT_TRUE(capture->Append(kMessage).ok());
  capture.reset();
  fault_->Crash();
  RecoveryStats stats = Restart();
  EXPECT_EQ(stats.unused_slots_removed, static_cast<int>(kSlots));
  EXPECT_EQ(stats.dropped_unsealed, 0);
  EXPECT_TRUE(fs::is_empty(spool_));
  EXPECT_TRUE(FilesUnder(storage_ + "/archive", "").empty());
}

// A meta whose "spool" line names other files (copied or renamed by hand):
// neither archived from the wrong files nor deleted, but reported.
TEST_F(StoreSlotsTest, MetaNamingAnotherSlotIsLeftInPlaceAndReported) {
  OpenOnFaultEnv(0);
  const std::string here = "slot-bbbbbbbbbbbbbbbb", elsewhere = "slot-aaaaaaaaaaaaaaaa";
  SpoolMeta meta;
  meta.id = "20261124T162024Z-00000000000a";
  meta.spool_name = elsewhere;
  meta.phase = SpoolPhase::kSealed;
  meta.archive_dir = "archive/alice/2026/11/24";
  meta.context = AliceContext();
  SpoolMeta verdict = meta;
  verdict.phase = SpoolPhase::kAccepted;
  verdict.has_outcome = true;
  verdict.outcome = {Outcome::Kind::kRelayed, 250, "250 queued", {}};
  const std::string text = SerializeSpoolMeta(meta) + SerializeSpoolUpdate(verdict);
  std::ofstream(spool_ + "/" + here + ".meta", std::ios::binary) << text;
  std::ofstream(spool_ + "/" + here + ".eml.part", std::ios::binary) << kMessage;
  std::ofstream(spool_ + "/" + elsewhere + ".eml.part", std::ios::binary) << "other bytes\r\n";

  for (int start = 0; start < 2; ++start) {  // the same on every start
    SCOPED_TRACE("start " + std::to_string(start));
    Status recovered;
    RecoveryStats stats = Restart(&recovered);
    EXPECT_FALSE(recovered.ok());
    EXPECT_NE(recovered.message().find(elsewhere), std::string::npos) << recovered.message();
    EXPECT_EQ(stats.failed, 1);
    EXPECT_EQ(stats.finished_commits, 0);
    EXPECT_EQ(stats.archived_unknown, 0);
    EXPECT_EQ(stats.dropped_unsealed, 0);
    EXPECT_EQ(ReadWholeFile(spool_ + "/" + here + ".meta"), text);
    EXPECT_EQ(ReadWholeFile(spool_ + "/" + here + ".eml.part"), kMessage);
    EXPECT_TRUE(FilesUnder(storage_ + "/archive", ".eml").empty());
    EXPECT_TRUE(FilesUnder(storage_ + "/archive", ".xml").empty());
  }
  EXPECT_NE(Logs().find("left in the spool"), std::string::npos) << Logs();
}

TEST_F(StoreSlotsTest, AbortOfASlotCaptureRemovesBothSlotFiles) {
  std::string stem;
  auto capture = BeginOnSlot(&stem);
  ASSERT_NE(capture, nullptr);
  ASSERT_TRUE(capture->Append(kMessage).ok());
  ASSERT_TRUE(fs::exists(spool_ + "/" + stem + ".eml.part"));
  capture->Abort("client quit during DATA");
  std::set<std::string> left = EmptySlotPairs();
  EXPECT_EQ(left.size(), kSlots - 1);
  EXPECT_EQ(left.count(stem), 0u);
  EXPECT_FALSE(fs::exists(spool_ + "/" + stem + ".meta"));
  EXPECT_FALSE(fs::exists(spool_ + "/" + stem + ".eml.part"));
  EXPECT_NE(Logs().find("aborted after " + std::to_string(kMessage.size()) + " bytes"), std::string::npos);
}

TEST_F(StoreSlotsTest, FailedFirstMetaBlockOnASlotRemovesTheSlot) {
  std::string warmup;
  auto first = BeginOnSlot(&warmup);  // the pool is full from here on
  ASSERT_NE(first, nullptr);
  first->Abort("test warm-up");
  fault_->FailWrite(1);  // Begin's first block into the slot's meta
  std::unique_ptr<Capture> capture;
  Status s = store_->Begin(AliceContext(), &capture);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("while recording phase receiving"), std::string::npos) << s.message();
  EXPECT_EQ(EmptySlotPairs().size(), kSlots - 2);  // the failed slot is gone, not handed out empty
}

// Crash at every step from Begin (on a slot) to the end of the writer's
// batch: a sealed message is archived exactly once, an unsealed one never,
// and the spool (slots included) is empty after recovery.
TEST_F(StoreSlotsTest, CrashAtEveryStepOfASlotCaptureKeepsEverySealedMessage) {
  for (int step = 0;; ++step) {
    SCOPED_TRACE("crash before mutating operation " + std::to_string(step));
    store_.reset();
    fs::remove_all(storage_);
    OpenOnFaultEnv(kSlots);
    std::string warmup;
    auto first = BeginOnSlot(&warmup);  // waits for the fill: no refill runs below
    ASSERT_NE(first, nullptr);
    first->Abort("test warm-up");

    fault_->CrashAfter(step);
    bool sealed = false, committed = false;
    std::unique_ptr<Capture> capture;
    if (store_->Begin(AliceContext(), &capture).ok()) {
      bool appended = capture->Append(kMessage.substr(0, 20)).ok() && capture->Append(kMessage.substr(20)).ok();
      sealed = appended && capture->SealForRelay().ok();
      if (sealed) committed = capture->Commit({Outcome::Kind::kRelayed, 250, "250 queued", {}}).ok();
    }
    store_->Flush();
    bool crashed = fault_->crashed();
    capture.reset();
    fault_->Crash();
    RecoveryStats stats = Restart();
    EXPECT_EQ(stats.failed, 0);

    auto emls = FilesUnder(storage_ + "/archive", ".eml");
    if (sealed) {
      ASSERT_EQ(emls.size(), 1u);
      EXPECT_EQ(ReadWholeFile(emls[0]), kMessage);
      Report r = OnlyReport();
      if (committed) {
        EXPECT_EQ(r.outcome, "relayed");
      } else {
        EXPECT_TRUE(r.outcome == "relayed" || r.outcome == "unknown") << r.outcome;
      }
    } else {
      EXPECT_TRUE(FilesUnder(storage_ + "/archive", "").empty());
    }
    EXPECT_TRUE(fs::is_empty(spool_)) << EntryNames(spool_).size();
    if (!crashed) break;
    ASSERT_LT(step, 100);
  }
}


// ---- recycled slot metas (the writer empties a durable message's meta) -------

std::string NumberedMessage(int i) {
  return "From: alice@example.com\r\nTo: bob@example.net\r\nSubject: message " + std::to_string(i) +
         "\r\n\r\nbody " + std::to_string(i) + "\r\n";
}

TEST_F(StoreSlotsTest, MessagesOneAfterAnotherReuseTheSlotMetasInsteadOfUnlinkingThem) {
  std::set<std::string> stems_seen;
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE("message " + std::to_string(i));
    const std::string message = NumberedMessage(i);
    std::string stem;
    auto capture = BeginOnSlot(&stem);
    ASSERT_NE(capture, nullptr);
    ids.push_back(capture->id());
    const std::string meta = spool_ + "/" + stem + ".meta";
    // Held open: an unlinked meta's inode stays in use, so a meta created
    // anew under the same name could not show the same inode number.
    std::ifstream held(meta);
    ASSERT_TRUE(held.is_open());
    const ino_t inode = InodeOf(meta);
    for (const auto& name : EntryNames(spool_))
      if (fs::path(name).extension() == ".meta") stems_seen.insert(fs::path(name).stem().string());

    ASSERT_TRUE(capture->Append(message.substr(0, 30)).ok());
    ASSERT_TRUE(capture->Append(message.substr(30)).ok());
    ASSERT_TRUE(capture->SealForRelay().ok());
    ASSERT_TRUE(capture->Commit({Outcome::Kind::kRelayed, 250, "250 queued " + std::to_string(i), {}}).ok());
    store_->Flush();

    ASSERT_TRUE(WaitUntilRecycled(stem)) << "slot " << stem << " was not emptied and refilled";
    EXPECT_EQ(InodeOf(meta), inode) << "the meta was unlinked and created again";
    for (const auto& left : EmptySlotPairs()) stems_seen.insert(left);
    EXPECT_EQ(StemOf(capture->id()), "");
  }
  // Only the first fill's names, ever: no meta was created per message.
  EXPECT_EQ(stems_seen.size(), kSlots);
  EXPECT_EQ(EmptySlotPairs().size(), kSlots);

  auto emls = FilesUnder(storage_ + "/archive", ".eml");
  auto xmls = FilesUnder(storage_ + "/archive", ".xml");
  ASSERT_EQ(emls.size(), 3u);
  ASSERT_EQ(xmls.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    SCOPED_TRACE("message " + std::to_string(i));
    fs::path eml, xml;
    for (const auto& f : emls)
      if (f.stem() == ids[i]) eml = f;
    for (const auto& f : xmls)
      if (f.stem() == ids[i]) xml = f;
    ASSERT_FALSE(eml.empty());
    ASSERT_FALSE(xml.empty());
    EXPECT_EQ(ReadWholeFile(eml), NumberedMessage(i));
    Report r;
    ASSERT_TRUE(ParseReportXml(ReadWholeFile(xml), &r).ok());
    EXPECT_EQ(r.id, ids[i]);
    EXPECT_EQ(r.outcome, "relayed");
    EXPECT_EQ(r.outcome_reply, "250 queued " + std::to_string(i));
    EXPECT_EQ(r.summary.subject, "message " + std::to_string(i));
    EXPECT_EQ(r.summary.size, NumberedMessage(i).size());
  }
}

TEST_F(StoreSlotsTest, DuplicatePop3FetchOnASlotAddsARetrievalRemovesItsPartAndRecyclesTheSlot) {
  const MessageContext first = ReceivedContext("198.51.100.1", 0), second = ReceivedContext("198.51.100.2", 60);
  std::string stem1;
  auto a = BeginOnSlot(&stem1, first);
  ASSERT_NE(a, nullptr);
  ASSERT_TRUE(a->Append(kMessage).ok());
  ASSERT_TRUE(a->Commit({Outcome::Kind::kRelayed, 0, "+OK", {}}).ok());  // POP3: no seal
  store_->Flush();
  ASSERT_TRUE(WaitUntilRecycled(stem1));

  std::string stem2;
  auto b = BeginOnSlot(&stem2, second);
  ASSERT_NE(b, nullptr);
  const std::string meta2 = spool_ + "/" + stem2 + ".meta", part2 = spool_ + "/" + stem2 + ".eml.part";
  std::ifstream held(meta2);
  ASSERT_TRUE(held.is_open());
  const ino_t inode = InodeOf(meta2);
  ASSERT_TRUE(b->Append(kMessage).ok());
  ASSERT_TRUE(b->Commit({Outcome::Kind::kRelayed, 0, "+OK", {}}).ok());
  // The duplicate's bytes stay in its part until the writer's batch is durable.
  store_->Flush();
  ASSERT_TRUE(WaitUntilRecycled(stem2)) << "the duplicate's part was not removed or the slot not refilled";
  EXPECT_EQ(InodeOf(meta2), inode);
  EXPECT_EQ(fs::file_size(part2), 0u);
  EXPECT_EQ(EmptySlotPairs().size(), kSlots);

  auto emls = FilesUnder(storage_ + "/archive", ".eml");
  ASSERT_EQ(emls.size(), 1u);
  EXPECT_EQ(emls[0].stem(), a->id());
  EXPECT_EQ(ReadWholeFile(emls[0]), kMessage);
  Report r = OnlyReport();
  EXPECT_EQ(r.id, a->id());
  EXPECT_EQ(r.outcome, "fetched");
  ASSERT_EQ(r.retrievals.size(), 2u);
  EXPECT_EQ(r.retrievals[0].client_ip, "198.51.100.1");
  EXPECT_EQ(r.retrievals[1].client_ip, "198.51.100.2");
}

// What a crash leaves of one message whose Commit and writer batch it cuts
// short, for every step from the Commit through the end of MakeDurable (the
// meta's truncation, its fsync, the parts' removal) and the pool's refill of
// the recycled slot. The fault model keeps a truncation once done; a real
// disk may also show the old meta again if the crash came before the
// truncation's fsync: that state is recovered too, from a copy.
class StoreSlotsCrashTest : public StoreSlotsTest {
 protected:
  // prepare: runs without faults on a fresh store, returns a capture on a
  // slot ready to Commit. check: verifies the archive after recovery
  // (committed: Commit returned ok).
  // Both ways of syncing: file by file, and the shared file-system sync.
  void CrashAtEveryStepFromCommit(const std::function<std::unique_ptr<Capture>(std::string* stem)>& prepare,
                                  const std::function<void(bool committed)>& check) {
    for (bool file_system_sync : {false, true}) {
      SCOPED_TRACE(file_system_sync ? "one file-system sync" : "fsync file by file");
      file_system_sync_ = file_system_sync;
      CrashAtEveryStepFromCommitOnce(prepare, check);
    }
  }
  void CrashAtEveryStepFromCommitOnce(const std::function<std::unique_ptr<Capture>(std::string* stem)>& prepare,
                                      const std::function<void(bool committed)>& check) {
    bool saw_unsynced_truncation = false, saw_synced_truncation = false;
    for (int step = 0;; ++step) {
      SCOPED_TRACE("crash before mutating operation " + std::to_string(step) + " from the Commit");
      store_.reset();
      fs::remove_all(storage_);
      OpenOnFaultEnv(kSlots);
      std::string stem;
      auto capture = prepare(&stem);
      ASSERT_NE(capture, nullptr);
      const std::string meta = spool_ + "/" + stem + ".meta", part = spool_ + "/" + stem + ".eml.part";

      counting_.ForgetTruncations();  // prepare() may have recycled this very slot already
      const uint64_t before_commit = counting_.Now();
      fault_->CrashAfter(step);
      const bool committed = capture->Commit({Outcome::Kind::kRelayed, 250, "250 queued", {}}).ok();
      store_->Flush();
      // The pool refills the recycled slot on its own thread: wait for that, or the crash.
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (!fault_->crashed() && !counting_.CreatedDurablySince(part, before_commit)) {
        ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "neither a crash nor a refill of " << stem;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      const bool crashed = fault_->crashed();
      const auto truncated = counting_.truncated();
      const bool truncated_here = truncated.count(meta) > 0;
      const bool truncation_synced = counting_.TruncationSynced(meta);
      capture.reset();
      fault_->Crash();
      store_.reset();
      if (crashed && truncated_here) (truncation_synced ? saw_synced_truncation : saw_unsynced_truncation) = true;

      const std::string copy = root_ + "/storage-old-meta";
      const bool old_meta_possible = crashed && truncated_here && !truncation_synced;
      if (old_meta_possible) {
        fs::remove_all(copy);
        fs::copy(storage_, copy, fs::copy_options::recursive);
      }
      {
        SCOPED_TRACE("the disk kept what the fault model left");
        RecoveryStats stats = Restart();
        EXPECT_EQ(stats.failed, 0);
        check(committed);
        EXPECT_TRUE(fs::is_empty(spool_)) << EntryNames(spool_).size();
      }
      if (old_meta_possible) {
        SCOPED_TRACE("the truncation was lost: the old meta is back");
        store_.reset();
        fs::remove_all(storage_);
        fs::rename(copy, storage_);
        std::ofstream(meta, std::ios::binary | std::ios::trunc) << truncated.at(meta);
        ASSERT_FALSE(truncated.at(meta).empty());
        RecoveryStats stats = Restart();
        EXPECT_EQ(stats.failed, 0);
        check(committed);
        EXPECT_TRUE(fs::is_empty(spool_)) << EntryNames(spool_).size();
      }
      if (!crashed) break;
      ASSERT_LT(step, 200);
    }
    // The steps did pass through the writer's recycling of the meta.
    EXPECT_TRUE(saw_unsynced_truncation);
    EXPECT_TRUE(saw_synced_truncation);
  }
};

TEST_F(StoreSlotsCrashTest, SentMessageIsArchivedExactlyOnceWhateverStepOfTheRecyclingACrashHits) {
  CrashAtEveryStepFromCommit(
      [&](std::string* stem) {
        auto capture = BeginOnSlot(stem);
        if (capture == nullptr) return capture;
        EXPECT_TRUE(capture->Append(kMessage).ok());
        EXPECT_TRUE(capture->SealForRelay().ok());
        return capture;
      },
      [&](bool committed) {
        auto emls = FilesUnder(storage_ + "/archive", ".eml");
        ASSERT_EQ(emls.size(), 1u);
        EXPECT_EQ(ReadWholeFile(emls[0]), kMessage);
        Report r = OnlyReport();
        if (committed) {
          EXPECT_EQ(r.outcome, "relayed");
        } else {
          EXPECT_TRUE(r.outcome == "relayed" || r.outcome == "unknown") << r.outcome;
        }
      });
}

TEST_F(StoreSlotsCrashTest, DuplicatePop3FetchGetsOneRetrievalWhateverStepOfTheRecyclingACrashHits) {
  CrashAtEveryStepFromCommit(
      [&](std::string* stem) {
        std::string first_stem;
        auto first = BeginOnSlot(&first_stem, ReceivedContext("198.51.100.1", 0));
        if (first == nullptr) return first;
        EXPECT_TRUE(first->Append(kMessage).ok());
        const uint64_t before_commit = counting_.Now();
        EXPECT_TRUE(first->Commit({Outcome::Kind::kRelayed, 0, "+OK", {}}).ok());
        store_->Flush();
        EXPECT_TRUE(WaitUntilRecycled(first_stem));
        // Also its folder fsync: no operation of this refill may fall among the steps counted below.
        const std::string first_part = spool_ + "/" + first_stem + ".eml.part";
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!counting_.CreatedDurablySince(first_part, before_commit)) {
          if (std::chrono::steady_clock::now() > deadline) {
            ADD_FAILURE() << "the first fetch's slot was never refilled";
            return std::unique_ptr<Capture>();
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        auto second = BeginOnSlot(stem, ReceivedContext("198.51.100.2", 60));
        if (second != nullptr) {
          EXPECT_TRUE(second->Append(kMessage).ok());
        }
        return second;
      },
      [&](bool committed) {
        auto emls = FilesUnder(storage_ + "/archive", ".eml");
        ASSERT_EQ(emls.size(), 1u);
        EXPECT_EQ(ReadWholeFile(emls[0]), kMessage);
        Report r = OnlyReport();
        // Before its verdict was durable the second fetch is dropped as
        // unsealed; after it, it is one retrieval, never two.
        if (committed) {
          ASSERT_EQ(r.retrievals.size(), 2u);
        }
        ASSERT_GE(r.retrievals.size(), 1u);
        ASSERT_LE(r.retrievals.size(), 2u);
        EXPECT_EQ(r.retrievals[0].client_ip, "198.51.100.1");
        if (r.retrievals.size() == 2) {
          EXPECT_EQ(r.retrievals[1].client_ip, "198.51.100.2");
        }
      });
}

}  // namespace
}  // namespace mailtee::archive
