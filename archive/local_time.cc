#include "archive/local_time.h"

#include <cstdio>
#include <ctime>

namespace mailtee::archive {
namespace {

struct tm LocalTm(std::chrono::system_clock::time_point t) {
  time_t seconds = std::chrono::system_clock::to_time_t(t);
  struct tm local;
  localtime_r(&seconds, &local);
  return local;
}

}  // namespace

std::string LocalDayPath(std::chrono::system_clock::time_point t) {
  struct tm local = LocalTm(t);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y/%m/%d", &local);
  return buf;
}

std::string LocalDayStamp(std::chrono::system_clock::time_point t) {
  struct tm local = LocalTm(t);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y%m%d", &local);
  return buf;
}

std::string LocalIsoTimestamp(std::chrono::system_clock::time_point t) {
  // to_time_t truncates toward zero on some platforms; floor explicitly so
  // times before 1970 do not get a negative millisecond field.
  auto secs = std::chrono::floor<std::chrono::seconds>(t);
  int millis = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(t - secs).count());
  struct tm local = LocalTm(secs);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &local);
  long offset = local.tm_gmtoff;
  char sign = offset < 0 ? '-' : '+';
  if (offset < 0) offset = -offset;
  char out[64];
  std::snprintf(out, sizeof out, "%s.%03d%c%02ld:%02ld", date, millis, sign, offset / 3600, (offset % 3600) / 60);
  return out;
}

}  // namespace mailtee::archive
