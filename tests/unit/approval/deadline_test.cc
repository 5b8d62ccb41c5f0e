// Deadlines with and without weekends (local time; TZ pinned for the test).
#include "proxy/approval/deadline.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <time.h>

#include <string>

namespace mailtee::approval {
namespace {

class DeadlineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tz = getenv("TZ");
    saved_ = tz ? tz : "";
    had_tz_ = tz != nullptr;
    setenv("TZ", "Asia/Tokyo", 1);
    tzset();
  }
  void TearDown() override {
    if (had_tz_) setenv("TZ", saved_.c_str(), 1);
    else unsetenv("TZ");
    tzset();
  }
  static int64_t Local(int y, int mo, int d, int h) {
    struct tm tm = {};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_isdst = -1;
    return mktime(&tm);
  }
  std::string saved_;
  bool had_tz_ = false;
};

TEST_F(DeadlineTest, PlainHours) {
  EXPECT_EQ(ComputeDeadline(Local(2026, 11, 27, 18), 24, false), Local(2026, 11, 28, 18));
}

TEST_F(DeadlineTest, WeekendsDoNotCount) {
  // Friday 2026-11-27 18:00 + 24 working hours = Monday 2026-11-30 18:00.
  EXPECT_EQ(ComputeDeadline(Local(2026, 11, 27, 18), 24, true), Local(2026, 11, 30, 18));
  // Held on Saturday: the clock starts Monday 00:00.
  EXPECT_EQ(ComputeDeadline(Local(2026, 11, 28, 10), 72, true), Local(2026, 12, 3, 0));
  // Tuesday + 72h stays within the week.
  EXPECT_EQ(ComputeDeadline(Local(2026, 11, 24, 9), 72, true), Local(2026, 11, 27, 9));
}

}  // namespace
}  // namespace mailtee::approval
