// archive/thread_priority.h: the writer's and a POP3 commit's lowered nice
// values apply to the calling thread only, and a BackgroundPriorityScope puts
// a shared worker thread back exactly where it was. Every case runs on a fresh
// std::thread (Linux keeps a nice value per thread), first set to a known value.
// Setting a lower nice value than the current one needs root (CI and the dev
// box run the tests as root); without it the cases that need it are skipped.
#include "archive/thread_priority.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <thread>

namespace mailtee::archive {
namespace {

pid_t ThisThreadId() { return static_cast<pid_t>(::syscall(SYS_gettid)); }

// The calling thread's own nice value (PRIO_PROCESS with a thread id).
int ThisThreadNice() {
  errno = 0;
  int nice = ::getpriority(PRIO_PROCESS, static_cast<id_t>(ThisThreadId()));
  EXPECT_FALSE(nice == -1 && errno != 0) << "getpriority failed, errno " << errno;
  return nice;
}

bool SetThisThreadNice(int nice) {
  return ::setpriority(PRIO_PROCESS, static_cast<id_t>(ThisThreadId()), nice) == 0;
}

// Runs body on a fresh thread whose nice value is first set to start_nice.
// Returns false when that value could not be set (not root).
bool RunOnFreshThread(int start_nice, const std::function<void()>& body) {
  bool started = false;
  std::thread([&] {
    started = SetThisThreadNice(start_nice) && ThisThreadNice() == start_nice;
    if (started) body();
  }).join();
  return started;
}

bool IsRoot() { return ::geteuid() == 0; }

TEST(ThreadPriority, LowerThisThreadPriorityLowersOnlyTheCallingThread) {
  if (!IsRoot()) GTEST_SKIP() << "needs root to start the thread at nice 0";
  const int main_before = ThisThreadNice();
  int lowered = -100;
  ASSERT_TRUE(RunOnFreshThread(0, [&] {
    LowerThisThreadPriority(10);
    lowered = ThisThreadNice();
  }));
  EXPECT_EQ(lowered, 10);
  EXPECT_EQ(ThisThreadNice(), main_before) << "the main thread keeps its own nice value";
}

TEST(ThreadPriority, LowerThisThreadPriorityNeverRaisesAThreadAlreadyLower) {
  if (!IsRoot()) GTEST_SKIP() << "needs root to set a known start value";
  int after = -100;
  ASSERT_TRUE(RunOnFreshThread(15, [&] {
    LowerThisThreadPriority(10);
    after = ThisThreadNice();
  }));
  EXPECT_EQ(after, 15);
}

TEST(ThreadPriority, ScopeLowersForItsDurationAndPutsZeroBack) {
  if (!IsRoot()) GTEST_SKIP() << "needs root to set a known start value";
  int inside = -100, after = -100;
  ASSERT_TRUE(RunOnFreshThread(0, [&] {
    {
      BackgroundPriorityScope scope(19);
      inside = ThisThreadNice();
    }
    after = ThisThreadNice();
  }));
  EXPECT_EQ(inside, 19);
  EXPECT_EQ(after, 0);
}

TEST(ThreadPriority, ScopePutsBackAPreviousValueOtherThanZero) {
  if (!IsRoot()) GTEST_SKIP() << "needs root to set a known start value";
  int inside = -100, after = -100;
  ASSERT_TRUE(RunOnFreshThread(5, [&] {
    {
      BackgroundPriorityScope scope(19);
      inside = ThisThreadNice();
    }
    after = ThisThreadNice();
  }));
  EXPECT_EQ(inside, 19);
  EXPECT_EQ(after, 5) << "back to the thread's previous value, not to 0";
}

TEST(ThreadPriority, NestedScopeWithAHigherCurrentValueDoesNothing) {
  if (!IsRoot()) GTEST_SKIP() << "needs root to set a known start value";
  int in_inner = -100, after_inner = -100, after_outer = -100;
  ASSERT_TRUE(RunOnFreshThread(0, [&] {
    {
      BackgroundPriorityScope outer(19);
      {
        BackgroundPriorityScope inner(10);  // already at 19: must neither raise it nor restore anything
        in_inner = ThisThreadNice();
      }
      after_inner = ThisThreadNice();
    }
    after_outer = ThisThreadNice();
  }));
  EXPECT_EQ(in_inner, 19);
  EXPECT_EQ(after_inner, 19) << "the inner scope's end must not undo the outer one";
  EXPECT_EQ(after_outer, 0);
}

TEST(ThreadPriority, NestedLowerScopeRestoresTheOuterValue) {
  if (!IsRoot()) GTEST_SKIP() << "needs root to set a known start value";
  int in_outer = -100, in_inner = -100, after_inner = -100, after_outer = -100;
  ASSERT_TRUE(RunOnFreshThread(0, [&] {
    {
      BackgroundPriorityScope outer(10);
      in_outer = ThisThreadNice();
      {
        BackgroundPriorityScope inner(19);
        in_inner = ThisThreadNice();
      }
      after_inner = ThisThreadNice();
    }
    after_outer = ThisThreadNice();
  }));
  EXPECT_EQ(in_outer, 10);
  EXPECT_EQ(in_inner, 19);
  EXPECT_EQ(after_inner, 10);
  EXPECT_EQ(after_outer, 0);
}

// Without root (and without an RLIMIT_NICE that allows the way back) the
// scope must leave the thread alone: it could never put it back. The uid and
// limit change for the whole process, so this runs in a forked child
// (single-threaded there) that reports through its exit code: 0 as expected,
// 1x a setup step failed, 2x the scope misbehaved.
int ScopeAsUnprivilegedChild() {
  if (!SetThisThreadNice(0)) return 10;
  struct rlimit no_way_back = {0, 0};  // RLIMIT_NICE 0: never below nice 20 - 0
  if (::setrlimit(RLIMIT_NICE, &no_way_back) != 0) return 11;
  if (::setuid(65534) != 0 || ::geteuid() == 0) return 12;  // nobody
  int inside;
  {
    BackgroundPriorityScope scope(19);
    inside = ::getpriority(PRIO_PROCESS, static_cast<id_t>(ThisThreadId()));
  }
  int after = ::getpriority(PRIO_PROCESS, static_cast<id_t>(ThisThreadId()));
  if (inside != 0) return 20;
  if (after != 0) return 21;
  return 0;
}

TEST(ThreadPriority, ScopeDoesNothingWhereTheProcessCouldNotPutItBack) {
  if (!IsRoot()) GTEST_SKIP() << "needs root to drop to an unprivileged user in a child";
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(ScopeAsUnprivilegedChild());
  ASSERT_GT(pid, 0) << "fork failed";
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace mailtee::archive
