// GroupSync: a caller is covered only by a sync that started after it
// arrived; callers that queue behind one running sync share the next one; a
// failed sync's error reaches every caller that needed it.
//
// The callers run on real threads against a fake FileSystemSync that holds
// each sync until the test releases it. To know a caller is really queued
// inside GroupSync (not merely started) the test watches its thread in
// /proc until it sleeps; every wait is bounded so a bug fails, never hangs.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "archive/group_sync.h"

namespace mailtee::archive {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

constexpr seconds kPatience{10};  // a bug fails after this long rather than hanging

// Counts syncs; sync n does not return before Release(n) (or ReleaseAll)
// and returns the error chosen for n, if any.
class FakeFileSystemSync : public FileSystemSync {
 public:
  Status Sync() override {
    std::unique_lock<std::mutex> lock(mu_);
    const int n = ++started_;
    cv_.notify_all();
    if (!cv_.wait_for(lock, kPatience, [&] { return released_ >= n; }))
      return Status::Error("fake sync " + std::to_string(n) + " was never released");
    auto error = errors_.find(n);
    return error == errors_.end() ? Status::Ok() : error->second;
  }

  void FailCall(int n, const std::string& message) {
    std::lock_guard<std::mutex> lock(mu_);
    errors_[n] = Status::Error(message);
  }
  void Release(int up_to) {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = up_to;
    cv_.notify_all();
  }
  void ReleaseAll() { Release(1 << 30); }
  int started() const {
    std::lock_guard<std::mutex> lock(mu_);
    return started_;
  }
  // True once at least n syncs have started (false after kPatience).
  bool WaitStarted(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kPatience, [&] { return started_ >= n; });
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int started_ = 0;
  int released_ = 0;
  std::map<int, Status> errors_;
};

// One thread calling GroupSync::Sync.
struct Caller {
  pid_t tid = 0;
  std::future<Status> result;
  bool Returned() const { return result.wait_for(milliseconds(0)) == std::future_status::ready; }
};

Caller StartCaller(GroupSync* group) {
  std::promise<pid_t> tid;
  Caller caller;
  std::future<pid_t> tid_future = tid.get_future();
  caller.result = std::async(std::launch::async, [group, tid = std::move(tid)]() mutable {
    tid.set_value(::gettid());
    return group->Sync();
  });
  caller.tid = tid_future.get();
  return caller;
}

// The kernel's view of one thread: 'S' while it sleeps, and how many times it
// has gone to sleep.
struct ThreadState {
  char state = '?';
  long sleeps = -1;
  bool operator==(const ThreadState&) const = default;
};

ThreadState ReadThreadState(pid_t tid) {
  std::ifstream status("/proc/self/task/" + std::to_string(tid) + "/status");
  ThreadState out;
  std::string key;
  while (status >> key) {
    if (key == "State:") status >> out.state;
    else if (key == "voluntary_ctxt_switches:") status >> out.sleeps;
  }
  return out;
}

// True once every caller sleeps, in the same sleep across two looks. A
// caller that only waited for GroupSync's mutex would have woken and slept
// again in between; so they all wait for a sync to finish. (No thread
// sleeps while holding that mutex, so all asleep at once rules it out.)
bool WaitUntilAllAsleep(const std::vector<Caller*>& callers) {
  const auto deadline = steady_clock::now() + kPatience;
  while (steady_clock::now() < deadline) {
    std::vector<ThreadState> first;
    for (Caller* c : callers) first.push_back(ReadThreadState(c->tid));
    bool all_asleep = true;
    for (const auto& s : first) all_asleep = all_asleep && s.state == 'S';
    if (all_asleep) {
      std::this_thread::sleep_for(milliseconds(2));
      bool unchanged = true;
      for (size_t i = 0; i < callers.size(); ++i) unchanged = unchanged && ReadThreadState(callers[i]->tid) == first[i];
      if (unchanged) return true;
    }
    std::this_thread::sleep_for(milliseconds(1));
  }
  return false;
}

class GroupSyncTest : public ::testing::Test {
 protected:
  GroupSyncTest() {
    auto fake = std::make_unique<FakeFileSystemSync>();
    fake_ = fake.get();
    group_ = std::make_unique<GroupSync>(std::move(fake));
  }
  // A failed assertion must not leave callers blocked in the fake: release
  // them before callers_ (destroyed after this body) joins their threads.
  ~GroupSyncTest() override { fake_->ReleaseAll(); }

  Caller& Start() {
    callers_.push_back(StartCaller(group_.get()));
    return callers_.back();
  }
  std::vector<Caller*> StartMany(int n) {
    std::vector<Caller*> started;
    for (int i = 0; i < n; ++i) started.push_back(&Start());
    return started;
  }

  FakeFileSystemSync* fake_;
  std::unique_ptr<GroupSync> group_;
  std::deque<Caller> callers_;  // after group_: joined before it is destroyed
};

TEST_F(GroupSyncTest, SingleCallerRunsExactlyOneSync) {
  fake_->ReleaseAll();
  EXPECT_TRUE(group_->Sync().ok());
  EXPECT_EQ(fake_->started(), 1);
  EXPECT_EQ(group_->syncs(), 1u);
  // A later call is not covered by the finished sync: its writes came after.
  EXPECT_TRUE(group_->Sync().ok());
  EXPECT_EQ(fake_->started(), 2);
  EXPECT_EQ(group_->syncs(), 2u);
}

TEST_F(GroupSyncTest, CallerArrivingDuringASyncWaitsForTheNextOne) {
  Caller& a = Start();
  ASSERT_TRUE(fake_->WaitStarted(1));
  Caller& b = Start();
  ASSERT_TRUE(WaitUntilAllAsleep({&b}));
  EXPECT_EQ(fake_->started(), 1) << "b must queue, not start a second sync beside the running one";

  fake_->Release(1);
  ASSERT_EQ(a.result.wait_for(kPatience), std::future_status::ready);
  EXPECT_TRUE(a.result.get().ok());
  ASSERT_TRUE(fake_->WaitStarted(2)) << "b's writes may postdate sync 1's start: it needs a sync of its own";
  EXPECT_FALSE(b.Returned()) << "b returned on sync 1, which may not cover its writes";

  fake_->Release(2);
  ASSERT_EQ(b.result.wait_for(kPatience), std::future_status::ready);
  EXPECT_TRUE(b.result.get().ok());
  EXPECT_EQ(fake_->started(), 2);
  EXPECT_EQ(group_->syncs(), 2u);
}

TEST_F(GroupSyncTest, ManyCallersQueuedBehindOneSyncShareTheNextOne) {
  Caller& first = Start();
  ASSERT_TRUE(fake_->WaitStarted(1));
  std::vector<Caller*> queued = StartMany(16);
  ASSERT_TRUE(WaitUntilAllAsleep(queued));

  fake_->Release(1);
  ASSERT_TRUE(fake_->WaitStarted(2));
  for (Caller* c : queued) EXPECT_FALSE(c->Returned());
  fake_->Release(2);
  for (Caller* c : queued) {
    ASSERT_EQ(c->result.wait_for(kPatience), std::future_status::ready);
    EXPECT_TRUE(c->result.get().ok());
  }
  ASSERT_EQ(first.result.wait_for(kPatience), std::future_status::ready);
  EXPECT_TRUE(first.result.get().ok());
  EXPECT_EQ(fake_->started(), 2) << "16 queued callers must share one sync";
  EXPECT_EQ(group_->syncs(), 2u);
}

TEST_F(GroupSyncTest, SingleCallerGetsItsSyncsError) {
  fake_->FailCall(1, "syncfs of the file system holding /x: Input/output error");
  fake_->ReleaseAll();
  Status s = group_->Sync();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message().rfind("syncfs of the file system holding /x: Input/output error; ", 0), 0u) << s.message();
  EXPECT_NE(s.message().find("restart mailtee"), std::string::npos) << s.message();
  EXPECT_EQ(group_->syncs(), 1u) << "a failed sync still counts as run";
  // Sticky: the kernel reported the lost write-back once; a later syncfs
  // would return 0 without those bytes, so no later caller may see ok.
  Status again = group_->Sync();
  EXPECT_FALSE(again.ok());
  EXPECT_EQ(again.message(), s.message());
  EXPECT_EQ(fake_->started(), 1) << "no sync runs after a failure";
}

TEST_F(GroupSyncTest, FailedSharedSyncReachesItsCallersAndEveryLaterOne) {
  Caller& first = Start();
  ASSERT_TRUE(fake_->WaitStarted(1));
  std::vector<Caller*> queued = StartMany(4);
  ASSERT_TRUE(WaitUntilAllAsleep(queued));
  fake_->FailCall(2, "write-back failed");

  fake_->Release(1);
  ASSERT_EQ(first.result.wait_for(kPatience), std::future_status::ready);
  EXPECT_TRUE(first.result.get().ok()) << "sync 1 succeeded; the failure of sync 2 is not its caller's";
  fake_->Release(2);
  for (Caller* c : queued) {
    ASSERT_EQ(c->result.wait_for(kPatience), std::future_status::ready);
    Status s = c->result.get();
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.message().rfind("write-back failed; ", 0), 0u) << s.message();
  }
  EXPECT_EQ(fake_->started(), 2);
  EXPECT_EQ(group_->syncs(), 2u);

  // A new caller after the failure gets the same error, without a new sync:
  // its bytes may be among those whose write-back failed.
  fake_->ReleaseAll();
  Status later = group_->Sync();
  EXPECT_FALSE(later.ok());
  EXPECT_EQ(later.message().rfind("write-back failed; ", 0), 0u) << later.message();
  EXPECT_EQ(fake_->started(), 2);
}

TEST_F(GroupSyncTest, SyncsCountsFinishedSyncsOnly) {
  EXPECT_EQ(group_->syncs(), 0u);
  Caller& a = Start();
  ASSERT_TRUE(fake_->WaitStarted(1));
  EXPECT_EQ(group_->syncs(), 0u) << "sync 1 is still running";
  fake_->Release(1);
  ASSERT_EQ(a.result.wait_for(kPatience), std::future_status::ready);
  EXPECT_TRUE(a.result.get().ok());
  EXPECT_EQ(group_->syncs(), 1u);
}

}  // namespace
}  // namespace mailtee::archive
