// SpoolSlotPool on its own: the pre-created spool file pairs (spool_slots.h).
// Refill is driven directly (deterministic); Start is checked by polling
// ready() with a deadline. Faults come from FaultInjectionEnv.
#include "archive/spool_slots.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "archive/fault_injection_env.h"
#include "archive_test_util.h"

namespace mailtee::archive {
namespace {

namespace fs = std::filesystem;
using testing::EntryNames;
using testing::InodeOf;
using testing::MakeUniqueTempDir;
using testing::PermissionBits;
using testing::ReadWholeFile;
using Op = FaultInjectionEnv::Op;

// Waits (polling, bounded) until condition holds; false on timeout.
template <typename Condition>
bool Eventually(Condition condition) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

class SpoolSlotPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeUniqueTempDir("spool_slots");
    ASSERT_FALSE(dir_.empty());
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Every file in dir_ must belong to a slot pair; returns the stems.
  std::set<std::string> PairStems() {
    std::set<std::string> stems;
    for (const auto& name : EntryNames(dir_)) {
      std::string stem;
      if (name.size() > 5 && name.compare(name.size() - 5, 5, ".meta") == 0) {
        stem = name.substr(0, name.size() - 5);
        EXPECT_TRUE(fs::exists(dir_ + "/" + stem + ".eml.part")) << name;
      } else if (name.size() > 9 && name.compare(name.size() - 9, 9, ".eml.part") == 0) {
        stem = name.substr(0, name.size() - 9);
        EXPECT_TRUE(fs::exists(dir_ + "/" + stem + ".meta")) << name;
      } else {
        ADD_FAILURE() << "unexpected file " << name;
        continue;
      }
      stems.insert(stem);
    }
    return stems;
  }

  std::string dir_;
};

TEST(SpoolSlotNameTest, AcceptsOnlySlotPlusSixteenLowerHexDigits) {
  EXPECT_TRUE(IsSpoolSlotName("slot-0123456789abcdef"));
  EXPECT_FALSE(IsSpoolSlotName("slot-0123456789abcde"));    // 15 digits
  EXPECT_FALSE(IsSpoolSlotName("slot-0123456789abcdef0"));  // 17 digits
  EXPECT_FALSE(IsSpoolSlotName("slot-0123456789ABCDEF"));
  EXPECT_FALSE(IsSpoolSlotName("slot-0123456789abcdeg"));
  EXPECT_FALSE(IsSpoolSlotName("slat-0123456789abcdef"));
  EXPECT_FALSE(IsSpoolSlotName("20261124T162024Z-000000000001"));  // a message id
  EXPECT_FALSE(IsSpoolSlotName(""));
}

TEST_F(SpoolSlotPoolTest, NothingIsCreatedBeforeRefillOrStart) {
  SpoolSlotPool pool(Env::Default(), dir_, 3, 0600);
  EXPECT_EQ(pool.ready(), 0u);
  SpoolSlotPool::Slot slot;
  EXPECT_FALSE(pool.Take(&slot));
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(SpoolSlotPoolTest, RefillCreatesExactlyTargetEmptyPrivatePairs) {
  SpoolSlotPool pool(Env::Default(), dir_, 3, 0600);
  Status s = pool.Refill();
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_TRUE(pool.last_error().ok());
  EXPECT_EQ(pool.ready(), 3u);
  std::set<std::string> stems = PairStems();
  EXPECT_EQ(stems.size(), 3u);
  EXPECT_EQ(EntryNames(dir_).size(), 6u);
  for (const auto& stem : stems) {
    EXPECT_TRUE(IsSpoolSlotName(stem)) << stem;
    for (const char* suffix : {".meta", ".eml.part"}) {
      fs::path path = dir_ + "/" + stem + suffix;
      EXPECT_EQ(PermissionBits(path), 0600u) << path;
      EXPECT_EQ(fs::file_size(path), 0u) << path;
    }
  }
  // Full already: a second refill adds nothing.
  ASSERT_TRUE(pool.Refill().ok());
  EXPECT_EQ(pool.ready(), 3u);
  EXPECT_EQ(EntryNames(dir_).size(), 6u);
}

TEST_F(SpoolSlotPoolTest, TakeHandsOutEachPairOnceThenReportsEmpty) {
  SpoolSlotPool pool(Env::Default(), dir_, 3, 0600);
  ASSERT_TRUE(pool.Refill().ok());
  const std::set<std::string> created = PairStems();
  std::set<std::string> taken;
  std::vector<SpoolSlotPool::Slot> slots;
  for (int i = 0; i < 3; ++i) {
    SpoolSlotPool::Slot slot;
    ASSERT_TRUE(pool.Take(&slot)) << i;
    ASSERT_NE(slot.part, nullptr);
    ASSERT_NE(slot.meta, nullptr);
    taken.insert(slot.name);
    slots.push_back(std::move(slot));
  }
  EXPECT_EQ(taken, created);  // three distinct names, exactly the files made
  EXPECT_EQ(pool.ready(), 0u);
  SpoolSlotPool::Slot none;
  EXPECT_FALSE(pool.Take(&none));
  EXPECT_EQ(none.part, nullptr);

  // The handed-out files are the open files on disk under that name.
  ASSERT_TRUE(slots[0].part->Append("bytes").ok());
  ASSERT_TRUE(slots[0].meta->Append("meta").ok());
  ASSERT_TRUE(slots[0].part->Close().ok());
  ASSERT_TRUE(slots[0].meta->Close().ok());
  EXPECT_EQ(ReadWholeFile(dir_ + "/" + slots[0].name + ".eml.part"), "bytes");
  EXPECT_EQ(ReadWholeFile(dir_ + "/" + slots[0].name + ".meta"), "meta");
}

TEST_F(SpoolSlotPoolTest, DestructorRemovesUntakenPairsButNotATakenOne) {
  SpoolSlotPool::Slot taken;
  {
    SpoolSlotPool pool(Env::Default(), dir_, 3, 0600);
    ASSERT_TRUE(pool.Refill().ok());
    ASSERT_TRUE(pool.Take(&taken));
    EXPECT_EQ(PairStems().size(), 3u);
  }
  EXPECT_EQ(PairStems(), std::set<std::string>{taken.name});
  // Still the taken holder's file: writing through it lands on disk.
  ASSERT_TRUE(taken.part->Append("kept").ok());
  ASSERT_TRUE(taken.part->Close().ok());
  EXPECT_EQ(ReadWholeFile(dir_ + "/" + taken.name + ".eml.part"), "kept");
}

TEST_F(SpoolSlotPoolTest, StartFillsInTheBackgroundAndRefillsAfterTakesDropItToHalf) {
  SpoolSlotPool::Slot a, b;
  std::set<std::string> kept;
  {
    SpoolSlotPool pool(Env::Default(), dir_, 4, 0600);
    pool.Start();
    ASSERT_TRUE(Eventually([&] { return pool.ready() == 4; })) << pool.ready();
    EXPECT_EQ(PairStems().size(), 4u);

    ASSERT_TRUE(pool.Take(&a));
    ASSERT_TRUE(pool.Take(&b));  // 2 left: <= target/2 wakes the thread
    ASSERT_TRUE(Eventually([&] { return pool.ready() == 4; })) << pool.ready();
    EXPECT_TRUE(pool.last_error().ok()) << pool.last_error().message();
    std::set<std::string> stems = PairStems();
    EXPECT_EQ(stems.size(), 6u);  // 4 ready + the 2 taken
    EXPECT_TRUE(stems.count(a.name) && stems.count(b.name));

    // Emptied completely (Take falls back), it fills up again too.
    kept = {a.name, b.name};
    for (SpoolSlotPool::Slot drained; pool.Take(&drained); drained = SpoolSlotPool::Slot()) kept.insert(drained.name);
    ASSERT_TRUE(Eventually([&] { return pool.ready() == 4; })) << pool.ready();
  }
  // The destructor stops the thread and leaves only the pairs that were taken.
  EXPECT_EQ(PairStems(), kept);
}

TEST_F(SpoolSlotPoolTest, FailedFolderFsyncHandsOutNothingAndLeavesNoFiles) {
  FaultInjectionEnv fault(Env::Default());
  SpoolSlotPool pool(&fault, dir_, 3, 0600);
  fault.FailNth(Op::kSyncDir, 1, EIO);
  Status s = pool.Refill();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("fsync directory"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("while preparing spool files"), std::string::npos) << s.message();
  EXPECT_EQ(pool.ready(), 0u);
  SpoolSlotPool::Slot slot;
  EXPECT_FALSE(pool.Take(&slot));
  EXPECT_TRUE(fs::is_empty(dir_)) << EntryNames(dir_).size();
  EXPECT_FALSE(pool.last_error().ok());
  EXPECT_EQ(pool.last_error().message(), s.message());

  // The fault was a one-off: the next refill works and clears last_error.
  s = pool.Refill();
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_TRUE(pool.last_error().ok());
  EXPECT_EQ(pool.ready(), 3u);
  EXPECT_EQ(PairStems().size(), 3u);
}

TEST_F(SpoolSlotPoolTest, FailedMetaCreationRemovesItsPartAndReportsTheError) {
  FaultInjectionEnv fault(Env::Default());
  SpoolSlotPool pool(&fault, dir_, 3, 0600);
  fault.FailNth(Op::kCreateFile, 2, ENOSPC);  // the first pair's .meta
  Status s = pool.Refill();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("No space left on device"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(".meta"), std::string::npos) << s.message();
  EXPECT_EQ(pool.ready(), 0u);
  EXPECT_TRUE(fs::is_empty(dir_)) << EntryNames(dir_).size();
  EXPECT_FALSE(pool.last_error().ok());

  ASSERT_TRUE(pool.Refill().ok());
  EXPECT_TRUE(pool.last_error().ok());
  EXPECT_EQ(PairStems().size(), 3u);
}

// Opening a .eml.part is retried under a new name (the loop guards against a
// name collision), so a single failed open costs no slot.
TEST_F(SpoolSlotPoolTest, ASingleFailedPartOpenIsRetriedUnderANewName) {
  FaultInjectionEnv fault(Env::Default());
  SpoolSlotPool pool(&fault, dir_, 2, 0600);
  fault.FailNth(Op::kCreateFile, 1, EEXIST);
  ASSERT_TRUE(pool.Refill().ok());
  EXPECT_EQ(pool.ready(), 2u);
  EXPECT_EQ(PairStems().size(), 2u);
}

TEST_F(SpoolSlotPoolTest, PersistentFailureLeavesNothingAndTheBackgroundThreadStopsCleanly) {
  FaultInjectionEnv fault(Env::Default());
  fault.Crash();  // every operation fails from now on
  SpoolSlotPool pool(&fault, dir_, 2, 0600);
  Status s = pool.Refill();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("after simulated crash"), std::string::npos) << s.message();
  EXPECT_EQ(pool.ready(), 0u);
  EXPECT_TRUE(fs::is_empty(dir_));
  // The thread retries once a second; the destructor must not wait for that.
  pool.Start();
  ASSERT_TRUE(Eventually([&] { return fault.count(Op::kCreateFile) > 5; }));
  auto start = std::chrono::steady_clock::now();
  {
    SpoolSlotPool other(&fault, dir_, 2, 0600);
    other.Start();
    ASSERT_TRUE(Eventually([&] { return !other.last_error().ok(); }));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(900));
  EXPECT_TRUE(fs::is_empty(dir_));
}


// ---- recycling: the writer hands back emptied metas (Recycle) -----------------

// What the writer does once a slot's message is durable: its .eml.part is gone
// (renamed into the archive) and its meta is opened with O_TRUNC and fsynced.
std::unique_ptr<WritableFile> EmptiedMeta(const std::string& dir, const std::string& stem) {
  std::unique_ptr<WritableFile> meta;
  Status s = Env::Default()->NewWritableFile(dir + "/" + stem + ".meta", Env::CreateMode::kTruncate, 0600, &meta);
  EXPECT_TRUE(s.ok()) << s.message();
  if (meta) {
    EXPECT_TRUE(meta->Sync().ok());
  }
  return meta;
}

// Takes every ready slot; returns them by name.
std::map<std::string, SpoolSlotPool::Slot> TakeAll(SpoolSlotPool* pool) {
  std::map<std::string, SpoolSlotPool::Slot> out;
  for (SpoolSlotPool::Slot slot; pool->Take(&slot); slot = SpoolSlotPool::Slot()) {
    std::string name = slot.name;
    out[name] = std::move(slot);
  }
  return out;
}

TEST_F(SpoolSlotPoolTest, RecycledMetaIsHandedOutAgainUnderItsNameWithANewEmptyPart) {
  SpoolSlotPool pool(Env::Default(), dir_, 3, 0600);
  ASSERT_TRUE(pool.Refill().ok());
  SpoolSlotPool::Slot used;
  ASSERT_TRUE(pool.Take(&used));
  const std::string name = used.name;
  const std::string meta_path = dir_ + "/" + name + ".meta", part_path = dir_ + "/" + name + ".eml.part";
  ASSERT_TRUE(used.part->Append("message bytes").ok());
  ASSERT_TRUE(used.meta->Append("a verdict that must not come back").ok());
  used = SpoolSlotPool::Slot();  // closes both
  fs::remove(part_path);         // archived: renamed away
  // Held open so that a meta unlinked and created anew could not get the same inode number.
  std::ifstream held(meta_path);
  ASSERT_TRUE(held.is_open());
  const ino_t meta_inode = InodeOf(meta_path);

  pool.Recycle(name, EmptiedMeta(dir_, name));
  EXPECT_EQ(pool.ready(), 2u);  // a slot only once it has a part again
  EXPECT_FALSE(fs::exists(part_path));
  ASSERT_TRUE(pool.Refill().ok());
  EXPECT_EQ(pool.ready(), 3u);
  EXPECT_EQ(PairStems().size(), 3u);  // reused, not one more pair

  auto slots = TakeAll(&pool);
  ASSERT_EQ(slots.count(name), 1u);
  SpoolSlotPool::Slot& again = slots[name];
  ASSERT_NE(again.part, nullptr);
  ASSERT_NE(again.meta, nullptr);
  ASSERT_TRUE(fs::exists(part_path));
  EXPECT_EQ(fs::file_size(part_path), 0u);
  EXPECT_EQ(PermissionBits(part_path), 0600u);
  EXPECT_EQ(fs::file_size(meta_path), 0u);
  EXPECT_EQ(InodeOf(meta_path), meta_inode) << "the meta was recreated, not reused";

  // The handed-back meta writes from offset 0 of the emptied file.
  ASSERT_TRUE(again.meta->Append("next").ok());
  ASSERT_TRUE(again.part->Append("next bytes").ok());
  ASSERT_TRUE(again.meta->Close().ok());
  ASSERT_TRUE(again.part->Close().ok());
  EXPECT_EQ(ReadWholeFile(meta_path), "next");
  EXPECT_EQ(ReadWholeFile(part_path), "next bytes");
}

TEST_F(SpoolSlotPoolTest, RecycleBeyondTwiceTheTargetRemovesTheMeta) {
  SpoolSlotPool pool(Env::Default(), dir_, 2, 0600);
  ASSERT_TRUE(pool.Refill().ok());
  ASSERT_EQ(pool.ready(), 2u);
  const std::vector<std::string> names = {"slot-00000000000000a1", "slot-00000000000000a2", "slot-00000000000000a3"};
  for (const auto& name : names) pool.Recycle(name, EmptiedMeta(dir_, name));
  int kept = 0;
  for (const auto& name : names) kept += fs::exists(dir_ + "/" + name + ".meta");
  EXPECT_EQ(kept, 2) << "2 ready + 2 recycled reach 2 * target: the third is not kept";
  EXPECT_FALSE(fs::exists(dir_ + "/" + names[2] + ".meta"));

  ASSERT_TRUE(pool.Refill().ok());
  EXPECT_EQ(pool.ready(), 4u);
  std::set<std::string> stems = PairStems();
  EXPECT_EQ(stems.size(), 4u);
  EXPECT_TRUE(stems.count(names[0]) && stems.count(names[1]));

  // Full (2 * target ready): one more is removed at once, Refill adds nothing.
  const std::string extra = "slot-00000000000000a4";
  pool.Recycle(extra, EmptiedMeta(dir_, extra));
  EXPECT_FALSE(fs::exists(dir_ + "/" + extra + ".meta"));
  ASSERT_TRUE(pool.Refill().ok());
  EXPECT_EQ(pool.ready(), 4u);
  EXPECT_EQ(PairStems().size(), 4u);
}

TEST_F(SpoolSlotPoolTest, RecycledMetaWhosePartCannotBeCreatedIsRemovedAndTheOthersStillBecomeSlots) {
  SpoolSlotPool pool(Env::Default(), dir_, 3, 0600);
  const std::string stuck = "slot-00000000000000b1", fine = "slot-00000000000000b2";
  pool.Recycle(stuck, EmptiedMeta(dir_, stuck));
  pool.Recycle(fine, EmptiedMeta(dir_, fine));
  // A part the writer could not remove (a refused message's bytes, say).
  std::ofstream(dir_ + "/" + stuck + ".eml.part", std::ios::binary) << "leftover";

  Status s = pool.Refill();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(stuck + ".eml.part"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("while preparing spool files"), std::string::npos) << s.message();
  EXPECT_FALSE(pool.last_error().ok());
  EXPECT_FALSE(fs::exists(dir_ + "/" + stuck + ".meta"));
  // Not opened with O_TRUNC: the leftover keeps its bytes (an orphan for Recover()).
  EXPECT_EQ(ReadWholeFile(dir_ + "/" + stuck + ".eml.part"), "leftover");

  auto slots = TakeAll(&pool);
  EXPECT_EQ(slots.count(stuck), 0u);
  ASSERT_EQ(slots.count(fine), 1u);
  EXPECT_TRUE(fs::exists(dir_ + "/" + fine + ".eml.part"));
  EXPECT_EQ(fs::file_size(dir_ + "/" + fine + ".eml.part"), 0u);

  // The next refill works again (the leftover does not block new names).
  fs::remove(dir_ + "/" + stuck + ".eml.part");
  ASSERT_TRUE(pool.Refill().ok());
  EXPECT_TRUE(pool.last_error().ok());
  EXPECT_EQ(pool.ready(), 3u);
}

TEST_F(SpoolSlotPoolTest, DestructorRemovesRecycledMetasNotYetRefilled) {
  std::string ready_name;
  {
    SpoolSlotPool pool(Env::Default(), dir_, 2, 0600);
    ASSERT_TRUE(pool.Refill().ok());
    pool.Recycle("slot-00000000000000c1", EmptiedMeta(dir_, "slot-00000000000000c1"));
    pool.Recycle("slot-00000000000000c2", EmptiedMeta(dir_, "slot-00000000000000c2"));
    EXPECT_TRUE(fs::exists(dir_ + "/slot-00000000000000c1.meta"));
    EXPECT_EQ(EntryNames(dir_).size(), 6u);  // 2 pairs + 2 lone metas
  }
  EXPECT_TRUE(fs::is_empty(dir_)) << EntryNames(dir_).size();
}

TEST_F(SpoolSlotPoolTest, TheBackgroundThreadRefillsARecycledMetaPromptly) {
  SpoolSlotPool pool(Env::Default(), dir_, 4, 0600);
  pool.Start();
  ASSERT_TRUE(Eventually([&] { return pool.ready() == 4; })) << pool.ready();
  SpoolSlotPool::Slot used;
  ASSERT_TRUE(pool.Take(&used));  // 3 left: above half, so only the recycle wakes the thread
  const std::string name = used.name;
  used = SpoolSlotPool::Slot();
  fs::remove(dir_ + "/" + name + ".eml.part");
  pool.Recycle(name, EmptiedMeta(dir_, name));
  ASSERT_TRUE(Eventually([&] { return pool.ready() == 4; })) << pool.ready();
  EXPECT_TRUE(fs::exists(dir_ + "/" + name + ".eml.part"));
  EXPECT_TRUE(PairStems().count(name));
  EXPECT_EQ(PairStems().size(), 4u);
}


// Holds the first .eml.part creation until released: a Refill caught midway.
class GateEnv : public EnvWrapper {
 public:
  using EnvWrapper::EnvWrapper;
  Status NewWritableFile(const std::string& path, CreateMode mode, int perms,
                         std::unique_ptr<WritableFile>* out) override {
    if (path.size() > 9 && path.compare(path.size() - 9, 9, ".eml.part") == 0) {
      std::unique_lock<std::mutex> lock(mu_);
      if (!passed_once_) {
        passed_once_ = true;
        held_ = true;
        cv_.notify_all();
        cv_.wait(lock, [this] { return released_; });
      }
    }
    return EnvWrapper::NewWritableFile(path, mode, perms, out);
  }
  bool WaitUntilHeld() {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [this] { return held_; });
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool passed_once_ = false, held_ = false, released_ = false;
};

// The metas a running Refill took out of the recycled list still count:
// a Recycle meanwhile must not push the pool past 2 * target.
TEST_F(SpoolSlotPoolTest, RecycleDuringARefillCountsTheMetasItIsReusing) {
  GateEnv gate(Env::Default());
  SpoolSlotPool pool(&gate, dir_, 1, 0600);
  const std::vector<std::string> names = {"slot-00000000000000d1", "slot-00000000000000d2", "slot-00000000000000d3"};
  pool.Recycle(names[0], EmptiedMeta(dir_, names[0]));
  pool.Recycle(names[1], EmptiedMeta(dir_, names[1]));  // 2 = 2 * target: full
  Status refilled;
  std::thread refill([&] { refilled = pool.Refill(); });
  ASSERT_TRUE(gate.WaitUntilHeld());
  pool.Recycle(names[2], EmptiedMeta(dir_, names[2]));
  const bool third_kept = fs::exists(dir_ + "/" + names[2] + ".meta");
  gate.Release();
  refill.join();
  ASSERT_TRUE(refilled.ok()) << refilled.message();
  EXPECT_FALSE(third_kept) << "a Recycle during a Refill pushed the pool past 2 * target";
  ASSERT_TRUE(pool.Refill().ok());
  EXPECT_EQ(pool.ready(), 2u);
  EXPECT_EQ(PairStems(), (std::set<std::string>{names[0], names[1]}));
}

}  // namespace
}  // namespace mailtee::archive
