// Per-user figures for `mailtee archive stats`, read from the search index.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "archive/index_db.h"

namespace mailtee::archive {

struct UserStats {
  std::string user;
  uint64_t messages = 0, bytes = 0, sent = 0, received = 0;
  int64_t first_ms = 0, last_ms = 0;   // received_at of the oldest / newest message
};

// Sorted by user. A full scan of the records: seconds at a million messages.
Status CollectUserStats(ArchiveIndex* index, std::vector<UserStats>* stats);

}  // namespace mailtee::archive
