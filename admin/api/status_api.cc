// GET /api/status    version, uptime, listeners with session counts, TLS certificate expiry,
//                    approvals {enabled, pending}
// GET /api/sessions  live sessions: counts per listener, and each session (client, login, TLS, state, since)
#include <nlohmann/json.hpp>

#include "admin/api/api_context.h"
#include "admin/api/cert_expiry.h"
#include "admin/api/json_util.h"
#include "admin/api/status_json.h"
#include "archive/index_record.h"
#include "proxy/approval/approval_service.h"

namespace mailtee::admin {

using nlohmann::json;

json ListenersJson(const ApiContext& ctx) {
  json listeners = json::array();
  if (!ctx.services.status) return listeners;
  for (const daemon::ListenerInfo& l : ctx.services.status->Listeners()) {
    listeners.push_back({{"name", l.name},
                         {"protocol", l.protocol},
                         {"address", l.address},
                         {"port", l.port},
                         {"has_provider", l.has_provider},
                         {"sessions", l.sessions}});
  }
  return listeners;
}

// {"enabled": false} without <approval enabled="true">; else how many holds
// wait for a decision (the dashboard's "waiting for approval").
json ApprovalsJson(const ApiContext& ctx) {
  approval::ApprovalService* service = ctx.services.approvals;
  if (!service) return json{{"enabled", false}};
  std::vector<approval::HeldMessage> pending;
  const approval::HoldState only = approval::HoldState::kPending;
  json out{{"enabled", true}};
  Status s = service->queue()->List(&pending, &only);
  if (s.ok()) out["pending"] = pending.size();
  else out["error"] = s.message();
  return out;
}

json StatusJson(const ApiContext& ctx) {
  const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                                       ctx.started_steady);
  const int64_t started_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(ctx.started_at.time_since_epoch()).count();
  json out{{"version", ctx.settings->version},
           {"started_at", archive::FormatUtcTime(started_ms)},
           {"uptime_seconds", uptime.count()},
           {"listeners", ListenersJson(ctx)},
           {"admin_sessions", ctx.sessions ? ctx.sessions->size() : 0},
           {"approvals", ApprovalsJson(ctx)}};
  json tls{{"cert_file", ctx.settings->cert_file}};
  if (!ctx.settings->cert_file.empty()) {
    CertificateExpiry expiry;
    Status s = ReadCertificateExpiry(ctx.settings->cert_file, &expiry);
    if (s.ok()) {
      tls["subject"] = expiry.subject;
      tls["not_after"] = archive::FormatUtcTime(expiry.not_after_unix * 1000);
      tls["days_left"] = expiry.seconds_left / 86400;
    } else {
      tls["error"] = s.message();
    }
  }
  out["tls"] = tls;
  return out;
}

namespace {

void GetStatus(ApiContext* ctx, const Request&, Reply reply) { reply(Json(StatusJson(*ctx))); }

void GetSessions(ApiContext* ctx, const Request&, Reply reply) {
  json per_listener = json::array();
  size_t total = 0;
  for (const json& l : ListenersJson(*ctx)) {
    per_listener.push_back({{"listener", l["name"]}, {"protocol", l["protocol"]}, {"sessions", l["sessions"]}});
    total += l["sessions"].get<size_t>();
  }
  json live = json::array();
  if (ctx->services.status) {
    for (const daemon::SessionInfo& s : ctx->services.status->Sessions()) {
      live.push_back({{"listener", s.listener},
                      {"protocol", s.protocol},
                      {"client", s.session.client},
                      {"login", s.session.login},
                      {"tls", s.session.tls},
                      {"state", s.session.state},
                      {"started_at", archive::FormatUtcTime(s.session.started_unix * 1000)},
                      {"messages", s.session.messages}});
    }
  }
  reply(Json(json{{"total", total}, {"listeners", per_listener}, {"sessions", live}}));
}

}  // namespace

void AddStatusRoutes(Router* router, ApiContext* ctx) {
  router->Add("GET", "/api/status", Access::kSession,
              [ctx](const Request& r, Reply reply) { GetStatus(ctx, r, std::move(reply)); });
  router->Add("GET", "/api/sessions", Access::kSession,
              [ctx](const Request& r, Reply reply) { GetSessions(ctx, r, std::move(reply)); });
}

}  // namespace mailtee::admin
