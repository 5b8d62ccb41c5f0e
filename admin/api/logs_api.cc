// GET /api/logs?kind=system&lines=100&contains=alice&date=YYYYMMDD
//   -> {"kind", "date", "lines": [...]}: the last `lines` lines (max 2000) of
//   that day's log file (today, local time, by default), optionally only those
//   containing a substring. Only the last 4 MiB of a file are read.
#include <ctime>
#include <deque>
#include <nlohmann/json.hpp>

#include "admin/api/api_context.h"
#include "admin/api/json_util.h"
#include "admin/api/log_tail.h"

namespace mailtee::admin {
namespace {

using nlohmann::json;
constexpr size_t kMaxLines = 2000;

const archive::LogKind kKinds[] = {archive::LogKind::kConnections, archive::LogKind::kReceived,
                                   archive::LogKind::kRelayed,     archive::LogKind::kFailed,
                                   archive::LogKind::kPop3,        archive::LogKind::kTranscript,
                                   archive::LogKind::kSystem,      archive::LogKind::kAdmin,
                                   archive::LogKind::kApproval};

std::string Today() {
  time_t now = time(nullptr);
  struct tm local {};
  localtime_r(&now, &local);
  char buf[16];
  strftime(buf, sizeof buf, "%Y%m%d", &local);
  return buf;
}


void GetLogs(ApiContext* ctx, const Request& req, Reply reply) {
  std::string kind = req.Query("kind").empty() ? "system" : req.Query("kind");
  bool known = false;
  for (archive::LogKind k : kKinds) known = known || kind == archive::LogKindName(k);
  if (!known) {
    std::string names;
    for (archive::LogKind k : kKinds) names += std::string(names.empty() ? "" : ", ") + archive::LogKindName(k);
    reply(ErrorResponse(400, "unknown log kind; one of: " + names));
    return;
  }
  size_t lines = 100;
  const std::string& lines_text = req.Query("lines");
  if (!lines_text.empty()) {
    if (lines_text.size() > 5 || lines_text.find_first_not_of("0123456789") != std::string::npos) {
      reply(ErrorResponse(400, "lines must be a number up to " + std::to_string(kMaxLines)));
      return;
    }
    lines = std::min<size_t>(std::stoul(lines_text), kMaxLines);
  }
  std::string date = req.Query("date").empty() ? Today() : req.Query("date");
  if (date.size() != 8 || date.find_first_not_of("0123456789") != std::string::npos) {
    reply(ErrorResponse(400, "date must be YYYYMMDD"));
    return;
  }
  const std::string& contains = req.Query("contains");
  const std::string path = ctx->settings->storage_dir + "/logs/" + kind + "/" + date + ".log";
  std::string text;
  json out{{"kind", kind}, {"date", date}, {"lines", json::array()}};
  Status s = ReadLogTail(path, &text);  // no log of that kind that day: no lines
  if (!s.ok()) {
    reply(ErrorResponse(500, s.message()));
    return;
  }
  std::deque<std::string> kept;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string::npos ? text.size() : nl;
    std::string_view line(text.data() + pos, end - pos);
    if (contains.empty() || line.find(contains) != std::string_view::npos) {
      kept.emplace_back(line);
      if (kept.size() > lines) kept.pop_front();
    }
    pos = end + 1;
  }
  for (auto& l : kept) out["lines"].push_back(std::move(l));
  reply(Json(out));
}

}  // namespace

void AddLogRoutes(Router* router, ApiContext* ctx) {
  router->Add("GET", "/api/logs", Access::kSession,
              [ctx](const Request& r, Reply reply) { GetLogs(ctx, r, std::move(reply)); });
}

}  // namespace mailtee::admin
