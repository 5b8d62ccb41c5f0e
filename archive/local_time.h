// Local-time pieces shared by the archive's folder names and the log book.
#pragma once

#include <chrono>
#include <string>

namespace mailtee::archive {

// "2026/11/24": the day folder of a message received at t (local zone).
std::string LocalDayPath(std::chrono::system_clock::time_point t);
// "20261124": the log file stem for t (local zone).
std::string LocalDayStamp(std::chrono::system_clock::time_point t);
// "2026-11-24T16:20:24.123+09:00" (local zone, millisecond precision).
std::string LocalIsoTimestamp(std::chrono::system_clock::time_point t);

}  // namespace mailtee::archive
