#include "archive/retention.h"

#include <algorithm>

#include "archive/index_keys.h"

namespace mailtee::archive {

bool IsDueForPurge(const RetentionPolicy& policy, const IndexRecord& record, int64_t now_ms) {
  const std::string user = index_keys::Lower(record.user);
  if (policy.legal_hold_users.count(user)) return false;
  auto it = policy.user_days.find(user);
  const int days = it != policy.user_days.end() ? it->second : policy.default_days;
  if (days <= 0) return false;
  return record.time_ms < now_ms - static_cast<int64_t>(days) * 86'400'000;
}

Status PlanPurge(ArchiveIndex* index, const RetentionPolicy& policy, int64_t now_ms, std::vector<IndexRecord>* due) {
  due->clear();
  Status s = index->ForEach([&](const IndexRecord& r) {
    if (IsDueForPurge(policy, r, now_ms)) due->push_back(r);
    return true;
  });
  std::sort(due->begin(), due->end(), [](const IndexRecord& a, const IndexRecord& b) {
    return a.time_ms != b.time_ms ? a.time_ms < b.time_ms : a.id < b.id;
  });
  return s;
}

}  // namespace mailtee::archive
