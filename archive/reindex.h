// `mailtee archive reindex`: rebuilds <storage>/index/search from the report
// files alone. Builds into index/search.new, then swaps it in, so an
// interrupted reindex leaves the old index usable. The ledger head is taken
// from ledger.log. Fails with a lock error while the daemon holds the index.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "config/status.h"

namespace mailtee::archive {

struct ReindexProgress {
  uint64_t messages = 0;
  double seconds = 0;
};

struct ReindexStats {
  uint64_t messages = 0;
  double seconds = 0;
  std::vector<std::string> skipped;   // reports that could not be read, with the reason
};

Status Reindex(const std::string& storage_dir, const std::function<void(const ReindexProgress&)>& progress,
               ReindexStats* stats);

}  // namespace mailtee::archive
