#include "archive/index_posting_cursor.h"

#include <algorithm>
#include <cstdio>

namespace mailtee::archive {
namespace {

// Next() costs a fraction of a Seek() (which re-positions every LevelDB level),
// so a target this few entries ahead is reached by stepping. A list much
// denser than the driver (a common word checked for a rare user) has its
// targets far ahead every time: after one Seek it tries a single step first.
constexpr int kStepsBeforeSeek = 8;
constexpr int kStepsAfterAFarTarget = 2;
constexpr double kMsPerDay = 86'400'000;

}  // namespace

std::string ListSize::ToString() const {
  if (exact()) return "=" + std::to_string(counted);
  char buf[32];
  std::snprintf(buf, sizeof buf, "~%.1f/d", per_day);
  return buf;
}

PostingCursor::PostingCursor(leveldb::DB* db, const leveldb::ReadOptions& options, std::string prefix,
                             std::string end_suffix)
    : prefix_(std::move(prefix)), end_suffix_(std::move(end_suffix)), it_(db->NewIterator(options)) {}

bool PostingCursor::Current(std::string_view* suffix) const {
  if (!it_->Valid() || !it_->key().starts_with(prefix_)) return false;
  *suffix = std::string_view(it_->key().data() + prefix_.size(), it_->key().size() - prefix_.size());
  return end_suffix_.empty() || *suffix < end_suffix_;
}

ListSize PostingCursor::Estimate(const std::string& start) {
  it_->Seek(prefix_ + start);
  positioned_ = false;  // the probe runs ahead of the join's targets
  ListSize size;
  int64_t newest_ms = 0, oldest_ms = 0;
  std::string_view suffix;
  for (; size.counted < ListSize::kExactUpTo && Current(&suffix); ++size.counted, it_->Next()) {
    int64_t time_ms = 0;
    index_keys::SuffixTime(suffix, &time_ms);  // our own keys: always well-formed
    if (size.counted == 0) newest_ms = time_ms;
    oldest_ms = time_ms;
  }
  if (!size.exact()) {
    const double span_days = std::max<int64_t>(newest_ms - oldest_ms, 1) / kMsPerDay;
    size.per_day = (ListSize::kExactUpTo - 1) / span_days;
  }
  return size;
}

bool PostingCursor::SeekAtLeast(const std::string& target, std::string* suffix) {
  std::string_view current;
  if (positioned_) {
    const int budget = last_target_was_far_ ? kStepsAfterAFarTarget : kStepsBeforeSeek;
    for (int steps = 0; steps < budget; ++steps) {
      if (!Current(&current)) return false;
      if (current >= target) {
        suffix->assign(current);
        last_target_was_far_ = false;
        return true;
      }
      it_->Next();
    }
  }
  last_target_was_far_ = positioned_;
  it_->Seek(prefix_ + target);
  positioned_ = true;
  if (!Current(&current)) return false;
  suffix->assign(current);
  return true;
}

}  // namespace mailtee::archive
