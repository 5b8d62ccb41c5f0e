// PostingCursor: one posting list (index_keys.h) of a search, walked forward
// in <time><id> suffix order (newest first) between a start and an end.
//
// The join in index_search.cc asks each list "your first suffix >= target?"
// with targets that never go back, so a cursor steps with Next() when the
// answer is near (cheap) and Seeks when it is far. Before the join, each list
// sizes itself up so the rarest one can drive (Estimate).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <leveldb/db.h>

#include "archive/index_keys.h"

namespace mailtee::archive {

// How big a posting list is where the join will walk it: an exact count when
// it holds fewer than kExactUpTo entries in range, else the density (entries
// per day) of its first kExactUpTo entries from the start. The join walks
// newest first and stops when a page is full, so the density where it starts
// is what its cost follows. (LevelDB's GetApproximateSizes was tried first:
// it cannot see the memtable, rounds to table blocks, and jumped by orders of
// magnitude while a compaction ran.)
struct ListSize {
  static constexpr uint64_t kExactUpTo = 64;
  uint64_t counted = 0;  // entries seen, at most kExactUpTo
  double per_day = 0;    // when !exact()

  bool exact() const { return counted < kExactUpTo; }
  // Rarer first: every exact list holds fewer entries in range than any dense one.
  bool operator<(const ListSize& other) const {
    if (exact() != other.exact()) return exact();
    return exact() ? counted < other.counted : per_day < other.per_day;
  }
  std::string ToString() const;  // "=12" or "~13.9/d"
};

class PostingCursor {
 public:
  // prefix: "<kind>/<value>\0". end_suffix: suffixes >= it are out of range
  // (older than since); "" = to the end of the list.
  PostingCursor(leveldb::DB* db, const leveldb::ReadOptions& options, std::string prefix, std::string end_suffix);

  // The list's size in [start, end) (see ListSize): one seek and at most
  // ListSize::kExactUpTo steps.
  ListSize Estimate(const std::string& start);

  // The first suffix >= target still in range; false when there is none.
  // Targets must not decrease between calls (Estimate may come before).
  bool SeekAtLeast(const std::string& target, std::string* suffix);

  const std::string& prefix() const { return prefix_; }
  leveldb::Status status() const { return it_->status(); }

 private:
  // The suffix under the iterator, or false when it left the list or range.
  bool Current(std::string_view* suffix) const;

  std::string prefix_;
  std::string end_suffix_;
  std::unique_ptr<leveldb::Iterator> it_;
  bool positioned_ = false;  // at or before every later target (see SeekAtLeast)
  bool last_target_was_far_ = false;  // the previous SeekAtLeast had to Seek
};

}  // namespace mailtee::archive
