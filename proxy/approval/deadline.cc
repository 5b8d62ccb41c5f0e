#include "proxy/approval/deadline.h"

#include <time.h>

namespace mailtee::approval {
namespace {

// Local midnight after t (DST-safe: asks mktime).
int64_t NextLocalMidnight(int64_t t, struct tm* tm_out) {
  const time_t tt = static_cast<time_t>(t);
  struct tm tm;
  localtime_r(&tt, &tm);
  *tm_out = tm;
  tm.tm_mday += 1;
  tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
  tm.tm_isdst = -1;
  return static_cast<int64_t>(mktime(&tm));
}

}  // namespace

int64_t ComputeDeadline(int64_t start, int hours, bool skip_weekends) {
  int64_t remaining = int64_t{3600} * hours;
  if (!skip_weekends) return start + remaining;
  int64_t t = start;
  while (remaining > 0) {
    struct tm tm;
    const int64_t midnight = NextLocalMidnight(t, &tm);
    if (tm.tm_wday == 0 || tm.tm_wday == 6) {
      t = midnight;  // the weekend does not count
      continue;
    }
    const int64_t today = midnight - t < remaining ? midnight - t : remaining;
    t += today;
    remaining -= today;
  }
  return t;
}

}  // namespace mailtee::approval
