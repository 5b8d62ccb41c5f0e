// The last part of a daily log file, for the endpoints that show log lines
// (GET /api/logs, GET /api/approvals/history): bounded reads, so a huge log
// never costs more than kMaxLogTailBytes of memory per request.
#pragma once

#include <cstddef>
#include <string>

#include "config/status.h"

namespace mailtee::admin {

constexpr size_t kMaxLogTailBytes = 4 << 20;

// Reads at most the last kMaxLogTailBytes of path into *out, dropping a first
// line cut by that window. A missing file is empty (no log that day), not an error.
Status ReadLogTail(const std::string& path, std::string* out);

}  // namespace mailtee::admin
