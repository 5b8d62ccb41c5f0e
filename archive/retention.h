// Retention: which archived messages are old enough to purge. Config has no
// <retention> element yet, so the CLI passes --days / --user-days / --legal-hold;
// the rule itself lives here, tested with an explicit `now`.
//
//   A message is due when its user's retention (per-user override, else the
//   default) is > 0 days and received_at < now - days. Users under legal hold
//   are never due. User names compare case-insensitively. 0 days = keep forever.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "archive/index_db.h"

namespace mailtee::archive {

struct RetentionPolicy {
  int default_days = 0;
  std::map<std::string, int> user_days;     // lowercase user -> days
  std::set<std::string> legal_hold_users;   // lowercase
};

bool IsDueForPurge(const RetentionPolicy& policy, const IndexRecord& record, int64_t now_ms);

// Every due message, oldest first.
Status PlanPurge(ArchiveIndex* index, const RetentionPolicy& policy, int64_t now_ms, std::vector<IndexRecord>* due);

}  // namespace mailtee::archive
