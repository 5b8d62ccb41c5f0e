// Reading the approval log back (<storage>/logs/approval/YYYYMMDD.log, written
// by approval::ApprovalLog) for GET /api/approvals/history: the last N local
// days, newest first, each line split into its time, event and key=value
// fields (quoted values unescaped). Bounded: at most the last 4 MiB of each
// day and max_events lines in all.
#pragma once

#include <cstdint>
#include <ctime>
#include <map>
#include <string>
#include <vector>

#include "config/status.h"

namespace mailtee::admin {

struct ApprovalLogEvent {
  std::string time;    // as written: 2026-11-24T17:30:02.114+09:00
  std::string event;   // held, approve, reject, ...
  std::map<std::string, std::string> fields;  // id, by, for, ip, via, from, to, subject, reason
};

// One log line; false when it is not "<time> <event> ..." (a cut or foreign line).
bool ParseApprovalLogLine(const std::string& line, ApprovalLogEvent* out);

// days: 1..366, counted back from `now` (local dates). *truncated is set when
// max_events stopped the walk.
Status ReadApprovalHistory(const std::string& storage_dir, int days, time_t now, size_t max_events,
                           std::vector<ApprovalLogEvent>* out, bool* truncated);

}  // namespace mailtee::admin
