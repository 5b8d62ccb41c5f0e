#include "archive/index_stats.h"

#include <map>

namespace mailtee::archive {

Status CollectUserStats(ArchiveIndex* index, std::vector<UserStats>* stats) {
  std::map<std::string, UserStats> by_user;
  Status s = index->ForEach([&](const IndexRecord& r) {
    UserStats& u = by_user[r.user];
    if (u.messages == 0 || r.time_ms < u.first_ms) u.first_ms = r.time_ms;
    if (u.messages == 0 || r.time_ms > u.last_ms) u.last_ms = r.time_ms;
    u.user = r.user;
    ++u.messages;
    u.bytes += r.size;
    (r.direction == "sent" ? u.sent : u.received)++;
    return true;
  });
  stats->clear();
  for (auto& [user, u] : by_user) stats->push_back(std::move(u));
  return s;
}

}  // namespace mailtee::archive
