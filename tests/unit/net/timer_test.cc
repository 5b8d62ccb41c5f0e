#include "proxy/net/timer.h"

#include "tests/unit/net/net_test_util.h"

namespace mailtee::net::testing {
namespace {

using TimerTest = NetTest;

TEST_F(TimerTest, FiresOnceAfterTimeout) {
  Timer timer(&loop_);
  int fired = 0;
  timer.Start(10, [&] { ++fired; });
  EXPECT_TRUE(timer.active());
  ASSERT_TRUE(RunUntil([&] { return fired == 1; }));
  EXPECT_FALSE(timer.active());
  RunUntil([] { return false; }, 50);
  EXPECT_EQ(fired, 1);
}

TEST_F(TimerTest, StopPreventsTheCallback) {
  Timer timer(&loop_);
  bool fired = false;
  timer.Start(10, [&] { fired = true; });
  timer.Stop();
  RunUntil([] { return false; }, 60);
  EXPECT_FALSE(fired);
}

TEST_F(TimerTest, RestartReplacesDeadlineAndCallback) {
  Timer timer(&loop_);
  std::string which;
  timer.Start(5, [&] { which += "first"; });
  timer.Start(20, [&] { which += "second"; });
  ASSERT_TRUE(RunUntil([&] { return !which.empty(); }));
  RunUntil([] { return false; }, 40);
  EXPECT_EQ(which, "second");
}

TEST_F(TimerTest, RepeatsUntilStoppedFromItsOwnCallback) {
  Timer timer(&loop_);
  int fired = 0;
  timer.Start(1, [&] { if (++fired == 3) timer.Stop(); }, 1);
  ASSERT_TRUE(RunUntil([&] { return fired == 3; }));
  RunUntil([] { return false; }, 30);
  EXPECT_EQ(fired, 3);
}

TEST_F(TimerTest, MayBeDestroyedInsideItsCallback) {
  auto timer = std::make_unique<Timer>(&loop_);
  bool fired = false;
  timer->Start(1, [&] {
    fired = true;
    timer.reset();  // the handle must outlive this call; ASan checks it
  });
  ASSERT_TRUE(RunUntil([&] { return fired; }));
  EXPECT_EQ(timer, nullptr);
}

TEST_F(TimerTest, CloseReportsWhenReleasedAndIgnoresLaterStart) {
  Timer timer(&loop_);
  bool closed = false, fired = false;
  timer.Close([&] { closed = true; });
  timer.Start(1, [&] { fired = true; });
  ASSERT_TRUE(RunUntil([&] { return closed; }));
  RunUntil([] { return false; }, 20);
  EXPECT_FALSE(fired);
}

TEST_F(TimerTest, DestroyedAfterCloseFinishedIsSafe) {
  auto timer = std::make_unique<Timer>(&loop_);
  bool closed = false;
  timer->Close([&] { closed = true; });
  ASSERT_TRUE(RunUntil([&] { return closed; }));
  timer->Stop();
  timer->Start(1, [] {});
  EXPECT_FALSE(timer->active());
  timer.reset();  // must not touch the released handle (ASan)
}

TEST_F(TimerTest, DestroyedWhileArmedNeverFires) {
  bool fired = false;
  {
    Timer timer(&loop_);
    timer.Start(1, [&] { fired = true; });
  }
  RunUntil([] { return false; }, 30);
  EXPECT_FALSE(fired);
}

}  // namespace
}  // namespace mailtee::net::testing
