// GET /api/stats/volume?hours=24 -> mail volume per hour and per user, for the
// console's dashboard charts, from the search index (newest first pages of
// Search with since = the start of the oldest hour). Bounded: hours <= 168
// and at most kMaxRecords messages examined ("truncated": true beyond that).
//   {"hours":24, "start":"...Z", "buckets":[{"start","sent","received","bytes"}...],
//    "users":[{"user","messages","bytes"}...] (top 10 by messages), "total", "truncated"}
#include <algorithm>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>

#include "admin/api/api_context.h"
#include "admin/api/json_util.h"

namespace mailtee::admin {
namespace {

using nlohmann::json;
constexpr int kMaxHours = 168;
constexpr size_t kMaxRecords = 50000;
constexpr size_t kTopUsers = 10;
constexpr int64_t kHourMs = 3600 * 1000;

struct Bucket {
  uint64_t sent = 0, received = 0, bytes = 0;
};

void GetVolume(ApiContext* ctx, const Request& req, Reply reply) {
  if (!ctx->services.archive) {
    reply(ErrorResponse(503, "the archive index is not available"));
    return;
  }
  int hours = 24;
  const std::string& text = req.Query("hours");
  if (!text.empty()) {
    if (text.size() > 3 || text.find_first_not_of("0123456789") != std::string::npos || std::stoi(text) < 1 ||
        std::stoi(text) > kMaxHours) {
      reply(ErrorResponse(400, "hours must be a number from 1 to " + std::to_string(kMaxHours)));
      return;
    }
    hours = std::stoi(text);
  }
  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  const int64_t start_ms = (now_ms / kHourMs - (hours - 1)) * kHourMs;  // whole hours, the current one last
  std::vector<Bucket> buckets(static_cast<size_t>(hours));
  std::map<std::string, std::pair<uint64_t, uint64_t>> users;  // user -> messages, bytes
  archive::Query q;
  q.since_ms = start_ms;
  q.limit = 500;
  size_t seen = 0;
  bool truncated = false;
  for (;;) {
    archive::ResultPage page;
    Status s = ctx->services.archive->Search(q, &page);
    if (!s.ok()) {
      reply(ErrorResponse(500, "search failed: " + s.message()));
      return;
    }
    for (const archive::IndexRecord& r : page.records) {
      const int64_t slot = (r.time_ms - start_ms) / kHourMs;
      if (slot < 0 || slot >= hours) continue;
      Bucket& b = buckets[static_cast<size_t>(slot)];
      (r.direction == "sent" ? b.sent : b.received)++;
      b.bytes += r.size;
      auto& u = users[r.user];
      u.first++;
      u.second += r.size;
    }
    seen += page.records.size();
    if (page.next_cursor.empty()) break;
    if (seen >= kMaxRecords) {
      truncated = true;
      break;
    }
    q.cursor = page.next_cursor;
  }
  json out_buckets = json::array();
  uint64_t total = 0;
  for (size_t i = 0; i < buckets.size(); ++i) {
    const Bucket& b = buckets[i];
    total += b.sent + b.received;
    out_buckets.push_back({{"start", archive::FormatUtcTime(start_ms + static_cast<int64_t>(i) * kHourMs)},
                           {"sent", b.sent},
                           {"received", b.received},
                           {"bytes", b.bytes}});
  }
  std::vector<std::pair<std::string, std::pair<uint64_t, uint64_t>>> ranked(users.begin(), users.end());
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.second.first > b.second.first; });
  if (ranked.size() > kTopUsers) ranked.resize(kTopUsers);
  json out_users = json::array();
  for (const auto& [user, mb] : ranked) out_users.push_back({{"user", user}, {"messages", mb.first}, {"bytes", mb.second}});
  reply(Json(json{{"hours", hours},
                  {"start", archive::FormatUtcTime(start_ms)},
                  {"buckets", out_buckets},
                  {"users", out_users},
                  {"total", total},
                  {"truncated", truncated}}));
}

}  // namespace

void AddStatsRoutes(Router* router, ApiContext* ctx) {
  router->Add("GET", "/api/stats/volume", Access::kSession,
              [ctx](const Request& r, Reply reply) { GetVolume(ctx, r, std::move(reply)); });
}

}  // namespace mailtee::admin
