// POST /api/config/validate and POST /api/config/reload (issue #6).
//
// validate: body = config XML to check (relative paths resolve against the
// running config file's folder; files outside that folder are not touched,
// see ValidateConfigText), or empty = the file on disk. Answers
//   {"ok": bool, "source": "...", "errors": N, "warnings": N,
//    "problems": [{"line": 12, "severity": "error", "message": "...", "hint": "..."}]}
// reload: validates the file on disk; with errors it refuses (409, same
// problems); otherwise it answers 202 and asks the daemon to restart in place
// (drain like SIGTERM, then exec itself with the same arguments).
// Both read files, so they run on a libuv worker thread (RunOnWorker).
#include <uv.h>

#include <functional>
#include <memory>

#include "admin/api/api_context.h"
#include "admin/api/config_check.h"
#include "admin/api/json_util.h"
#include "admin/api/worker_job.h"

namespace mailtee::admin {
namespace {

// Let the 202 reach the client before the drain closes admin connections.
constexpr uint64_t kReloadDelayMs = 200;

// Loads on a worker thread; answer builds the response on the loop.
void QueueCheck(ApiContext* ctx, std::string body, Reply reply,
                std::function<Response(const config::LoadResult&)> answer) {
  auto result = std::make_shared<config::LoadResult>();
  RunOnWorker(
      ctx, std::move(reply),
      [result, source = ctx->services.config->source, body = std::move(body)] {
        *result = body.empty() ? LoadConfigOnDisk(source) : ValidateConfigText(body, source);
      },
      [result, answer = std::move(answer)] { return answer(*result); });
}

// Calls fn once, delay_ms from now, on the loop.
void RunLater(uv_loop_t* loop, uint64_t delay_ms, std::function<void()> fn) {
  struct Later {
    uv_timer_t timer;
    std::function<void()> fn;
  };
  auto* later = new Later{{}, std::move(fn)};
  uv_timer_init(loop, &later->timer);
  later->timer.data = later;
  uv_timer_start(
      &later->timer,
      [](uv_timer_t* t) {
        auto* l = static_cast<Later*>(t->data);
        l->fn();
        uv_close(reinterpret_cast<uv_handle_t*>(t), [](uv_handle_t* h) { delete static_cast<Later*>(h->data); });
      },
      delay_ms, 0);
}

}  // namespace

void AddConfigCheckRoutes(Router* router, ApiContext* ctx) {
  router->Add("POST", "/api/config/validate", Access::kAdmin, [ctx](const Request& req, Reply reply) {
    if (!ctx->services.config) {
      reply(ErrorResponse(503, "the configuration is not available"));
      return;
    }
    ctx->Audit(req.user, req.peer_ip, req.body.empty() ? "config validate (file on disk)" : "config validate (text)");
    QueueCheck(ctx, req.body, std::move(reply),
               [](const config::LoadResult& result) { return Json(ValidationToJson(result)); });
  });

  router->Add("POST", "/api/config/reload", Access::kAdmin, [ctx](const Request& req, Reply reply) {
    if (!ctx->services.config) {
      reply(ErrorResponse(503, "the configuration is not available"));
      return;
    }
    if (!ctx->services.request_reload) {
      reply(ErrorResponse(503, "reload is not available in this process (only under `mailtee run`)"));
      return;
    }
    std::string user = req.user, from = req.peer_ip;
    QueueCheck(ctx, "", std::move(reply), [ctx, user, from](const config::LoadResult& result) {
      nlohmann::json body = ValidationToJson(result);
      if (!result.ok()) {
        ctx->Audit(user, from, "config reload refused: " + std::to_string(body["errors"].get<int>()) +
                                   " error(s) in " + ctx->services.config->source);
        body["reloading"] = false;
        body["error"] = "the config file has " + std::to_string(body["errors"].get<int>()) +
                        " error(s); not reloaded (POST /api/config/validate lists them)";
        return Json(body, 409);
      }
      ctx->Audit(user, from, "config reload: draining sessions, then restarting with " + ctx->services.config->source);
      body["reloading"] = true;
      RunLater(ctx->loop, kReloadDelayMs, ctx->services.request_reload);  // after this 202 is queued
      return Json(body, 202);
    });
  });
}

}  // namespace mailtee::admin
