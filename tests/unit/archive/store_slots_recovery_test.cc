// ArchiveStore with pre-created spool files (PreopenSpoolFiles): a capture on a
// slot is archived byte-exact and its seal needs no `fsync spool/`; and what a
// crash leaves of slots (sealed, verdict recorded, unused, unsealed, a meta
// naming other files) is decided correctly by Recover().
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "archive/archive_store.h"
#include "archive/fault_injection_env.h"
#include "archive/report.h"
#include "archive/spool_meta.h"
#include "archive/spool_slots.h"

namespace mailtee::archive {
namespace {

namespace fs = std::filesystem;
using Op = FaultInjectionEnv::Op;

// Enough that the one or two captures a test takes never wake the refill
// thread (it wakes at <= half), so it touches the disk only while filling.
constexpr size_t kSlots = 6;

const std::string kMessage =
    "From: alice@example.com\r\nTo: bob@example.net\r\nSubject: slot test\r\n\r\nbody line\r\n";

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<fs::path> Files(const fs::path& root, const std::string& ext) {
  std::vector<fs::path> out;
  if (!fs::exists(root)) return out;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file() && (ext.empty() || e.path().extension() == ext)) out.push_back(e.path());
  return out;
}

std::set<std::string> Names(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

// Counts folder fsyncs per path (the seal must not fsync spool/ on a slot).
class CountingEnv : public EnvWrapper {
 public:
  using EnvWrapper::EnvWrapper;
  Status SyncDir(const std::string& path) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      sync_dirs_[path]++;
    }
    return EnvWrapper::SyncDir(path);
  }
  int SyncDirCount(const std::string& path) {
    std::lock_guard<std::mutex> lock(mu_);
    return sync_dirs_[path];
  }

 private:
  std::mutex mu_;
  std::map<std::string, int> sync_dirs_;
};

class StoreSlotsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/store_slots_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
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
    Status s = ArchiveStore::Open(storage_, fault_.get(), log_.get(), &store_);
    ASSERT_TRUE(s.ok()) << s.message();
    if (slots > 0) store_->PreopenSpoolFiles(slots);
  }

  static MessageContext Context() {
    MessageContext c;
    c.direction = Direction::kSent;
    c.protocol = "smtp";
    c.listener = "l1";
    c.user = "alice";
    c.client_ip = "127.0.0.1";
    c.received_at = std::chrono::system_clock::from_time_t(1795537224);
    c.envelope_from = "alice@example.com";
    c.envelope_to = {"bob@example.net"};
    return c;
  }

  // The spool stem of message id: the file whose meta names it ("" if none).
  std::string StemOf(const std::string& id) {
    for (const auto& name : Names(spool_)) {
      if (fs::path(name).extension() != ".meta") continue;
      if (Slurp(spool_ + "/" + name).find("\nid " + id + "\n") != std::string::npos)
        return name.substr(0, name.size() - 5);
    }
    return "";
  }

  // Begin on a pre-created slot. The pool fills in the background; until it
  // has, Begin creates its own files: those captures are aborted and Begin
  // is tried again. (The pool hands a refill's slots out all at once, so
  // after the first slot capture the rest of the fill is ready too.)
  std::unique_ptr<Capture> BeginOnSlot(std::string* stem) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
      std::unique_ptr<Capture> capture;
      Status s = store_->Begin(Context(), &capture);
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
    for (const auto& name : Names(spool_)) {
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
    for (const auto& f : Files(root_ + "/logs", "")) all += Slurp(f);
    return all;
  }

  Report OnlyReport() {
    auto xmls = Files(storage_ + "/archive", ".xml");
    EXPECT_EQ(xmls.size(), 1u);
    Report r;
    if (xmls.size() == 1) {
      EXPECT_TRUE(ParseReportXml(Slurp(xmls[0]), &r).ok());
    }
    return r;
  }

  std::string root_, storage_, spool_;
  std::unique_ptr<LogBook> log_;
  CountingEnv counting_{Env::Default()};
  std::unique_ptr<FaultInjectionEnv> fault_;
  std::unique_ptr<ArchiveStore> store_;
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
  const std::string meta = Slurp(spool_ + "/" + stem + ".meta");
  EXPECT_NE(meta.find("\nspool " + stem + "\n"), std::string::npos) << meta;
  EXPECT_NE(meta.find("\nid " + id + "\n"), std::string::npos) << meta;
  EXPECT_EQ(Slurp(spool_ + "/" + stem + ".eml.part"), kMessage);

  ASSERT_TRUE(capture->Commit({Outcome::Kind::kRelayed, 250, "250 queued", {}}).ok());
  store_->Flush();

  auto emls = Files(storage_ + "/archive", ".eml");
  ASSERT_EQ(emls.size(), 1u);
  EXPECT_EQ(emls[0].stem(), id);  // named by the message id, not the slot
  EXPECT_EQ(Slurp(emls[0]), kMessage);
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
  EXPECT_TRUE(fs::is_empty(spool_)) << Names(spool_).size();
}

// The counterpart that shows the count above can see a seal's fsync.
TEST_F(StoreSlotsTest, WithoutSlotsTheSealFsyncsTheSpoolFolder) {
  OpenOnFaultEnv(0);
  std::unique_ptr<Capture> capture;
  ASSERT_TRUE(store_->Begin(Context(), &capture).ok());
  EXPECT_EQ(StemOf(capture->id()), capture->id());
  ASSERT_TRUE(capture->Append(kMessage).ok());
  const int spool_fsyncs = counting_.SyncDirCount(spool_);
  ASSERT_TRUE(capture->SealForRelay().ok());
  EXPECT_EQ(counting_.SyncDirCount(spool_), spool_fsyncs + 1);
  ASSERT_TRUE(capture->Commit({Outcome::Kind::kRelayed, 250, "250 queued", {}}).ok());
  store_->Flush();
  EXPECT_EQ(Slurp(Files(storage_ + "/archive", ".eml").at(0)), kMessage);
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
  auto emls = Files(storage_ + "/archive", ".eml");
  ASSERT_EQ(emls.size(), 1u);
  EXPECT_EQ(emls[0].stem(), id);
  EXPECT_EQ(Slurp(emls[0]), kMessage);
  Report r = OnlyReport();
  EXPECT_EQ(r.outcome, "unknown");
  EXPECT_EQ(r.outcome_reply, kUnknownOutcomeReply);
  EXPECT_EQ(r.summary.subject, "slot test");
  EXPECT_TRUE(fs::is_empty(spool_)) << Names(spool_).size();
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
  auto emls = Files(storage_ + "/archive", ".eml");
  ASSERT_EQ(emls.size(), 1u);
  EXPECT_EQ(Slurp(emls[0]), kMessage);
  Report r = OnlyReport();
  EXPECT_EQ(r.outcome, "relayed");
  EXPECT_EQ(r.outcome_reply, "250 queued");
  EXPECT_TRUE(fs::is_empty(spool_)) << Names(spool_).size();
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
  EXPECT_TRUE(fs::is_empty(spool_)) << Names(spool_).size();
  EXPECT_TRUE(Files(storage_ + "/archive", "").empty());
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
  ASSERT_EQ(Names(spool_), (std::set<std::string>{stem + ".eml.part", stem + ".meta"}));
  const std::string meta = Slurp(spool_ + "/" + stem + ".meta");
  EXPECT_NE(meta.find("\nphase receiving\n"), std::string::npos) << meta;
  EXPECT_EQ(meta.find("update"), std::string::npos) << meta;

  RecoveryStats stats = Restart();
  EXPECT_EQ(stats.dropped_unsealed, 1);
  EXPECT_EQ(stats.unused_slots_removed, 0);
  EXPECT_EQ(stats.failed, 0);
  EXPECT_TRUE(fs::is_empty(spool_));
  EXPECT_TRUE(Files(storage_ + "/archive", "").empty());
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
  EXPECT_TRUE(Files(storage_ + "/archive", "").empty());
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
  meta.context = Context();
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
    EXPECT_EQ(Slurp(spool_ + "/" + here + ".meta"), text);
    EXPECT_EQ(Slurp(spool_ + "/" + here + ".eml.part"), kMessage);
    EXPECT_TRUE(Files(storage_ + "/archive", ".eml").empty());
    EXPECT_TRUE(Files(storage_ + "/archive", ".xml").empty());
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
  Status s = store_->Begin(Context(), &capture);
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
    if (store_->Begin(Context(), &capture).ok()) {
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

    auto emls = Files(storage_ + "/archive", ".eml");
    if (sealed) {
      ASSERT_EQ(emls.size(), 1u);
      EXPECT_EQ(Slurp(emls[0]), kMessage);
      Report r = OnlyReport();
      if (committed) EXPECT_EQ(r.outcome, "relayed");
      else EXPECT_TRUE(r.outcome == "relayed" || r.outcome == "unknown") << r.outcome;
    } else {
      EXPECT_TRUE(Files(storage_ + "/archive", "").empty());
    }
    EXPECT_TRUE(fs::is_empty(spool_)) << Names(spool_).size();
    if (!crashed) break;
    ASSERT_LT(step, 100);
  }
}

}  // namespace
}  // namespace mailtee::archive
