#include "admin/api/archive_ops_api.h"

#include <atomic>
#include <functional>
#include <memory>

#include "admin/api/json_util.h"
#include "admin/api/worker_job.h"
#include "archive/index_record.h"
#include "archive/index_stats.h"
#include "archive/verify.h"

namespace mailtee::admin {
namespace {

using nlohmann::json;
constexpr size_t kMaxProblemsListed = 10000;  // the count is always exact

archive::ArchiveIndex* IndexOrReply(ApiContext* ctx, Reply& reply) {
  archive::ArchiveIndex* index = ctx->services.archive ? ctx->services.archive->index() : nullptr;
  if (!index) reply(ErrorResponse(503, "the archive index is not available"));
  return index;
}

void Stats(ApiContext* ctx, const Request& req, Reply reply) {
  archive::ArchiveIndex* index = IndexOrReply(ctx, reply);
  if (!index) return;
  auto stats = std::make_shared<std::vector<archive::UserStats>>();
  auto status = std::make_shared<Status>();
  ctx->Audit(req.user, req.peer_ip, "archive stats");
  RunOnWorker(ctx, std::move(reply), [=] { *status = archive::CollectUserStats(index, stats.get()); },
        [=]() -> Response {
          if (!status->ok()) return ErrorResponse(500, "stats failed: " + status->message());
          json users = json::array();
          for (const auto& u : *stats)
            users.push_back({{"user", u.user}, {"messages", u.messages}, {"bytes", u.bytes}, {"sent", u.sent},
                             {"received", u.received}, {"first", archive::FormatUtcTime(u.first_ms)},
                             {"last", archive::FormatUtcTime(u.last_ms)}});
          return Json(json{{"users", users}});
        });
}

std::atomic<bool> verify_running{false};

void Verify(ApiContext* ctx, const Request& req, Reply reply) {
  archive::ArchiveIndex* index = IndexOrReply(ctx, reply);
  if (!index) return;
  if (verify_running.exchange(true)) {
    reply(ErrorResponse(409, "a verify is already running"));
    return;
  }
  const std::string storage = ctx->services.archive->storage_dir();
  auto result = std::make_shared<archive::VerifyResult>();
  auto status = std::make_shared<Status>();
  ctx->Audit(req.user, req.peer_ip, "archive verify started");
  ApiContext* c = ctx;
  const std::string user = req.user, peer = req.peer_ip;
  RunOnWorker(ctx, std::move(reply),
        [=] {
          archive::VerifyOptions options;
          options.index = index;
          *status = archive::VerifyArchive(storage, options, result.get());
          verify_running = false;
        },
        [=]() -> Response {
          if (!status->ok()) return ErrorResponse(500, "verify could not run: " + status->message());
          c->Audit(user, peer, "archive verify: " + std::to_string(result->problems.size()) + " problem(s) in " +
                                   std::to_string(result->messages) + " messages");
          json problems = json::array();
          for (size_t i = 0; i < result->problems.size() && i < kMaxProblemsListed; ++i)
            problems.push_back(result->problems[i]);
          return Json(json{{"ok", result->ok()}, {"messages", result->messages}, {"files", result->files},
                           {"bytes", result->bytes}, {"ledger_entries", result->ledger_entries},
                           {"seconds", result->seconds}, {"problems", problems},
                           {"problem_count", result->problems.size()}});
        });
}

}  // namespace

void AddArchiveOpsRoutes(Router* router, ApiContext* ctx) {
  router->Add("GET", "/api/archive/stats", Access::kSession,
              [ctx](const Request& r, Reply reply) { Stats(ctx, r, std::move(reply)); });
  router->Add("GET", "/api/archive/verify", Access::kSession,
              [ctx](const Request& r, Reply reply) { Verify(ctx, r, std::move(reply)); });
}

}  // namespace mailtee::admin
