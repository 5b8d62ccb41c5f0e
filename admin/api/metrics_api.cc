// GET /metrics: Prometheus text format (version 0.0.4). Gauges computed here
// (sessions per listener, uptime, admin sessions, certificate expiry) followed
// by every counter and gauge registered in admin::Metrics (proxy counters from
// the log, archive size). Access: admin/metrics_access.h.
#include "admin/api/api_context.h"
#include "admin/api/cert_expiry.h"
#include "admin/metrics.h"
#include "admin/metrics_access.h"

namespace mailtee::admin {
namespace {

void Gauge(std::string* out, const std::string& name, const std::string& help) {
  *out += "# HELP " + name + " " + help + "\n# TYPE " + name + " gauge\n";
}

std::string RenderMetrics(const ApiContext& ctx) {
  std::string out;
  Gauge(&out, "mailtee_listener_sessions", "Live client sessions per listener");
  if (ctx.services.status) {
    for (const daemon::ListenerInfo& l : ctx.services.status->Listeners()) {
      out += "mailtee_listener_sessions" + RenderLabels({{"listener", l.name}, {"protocol", l.protocol}}) + " " +
             std::to_string(l.sessions) + "\n";
    }
  }
  Gauge(&out, "mailtee_uptime_seconds", "Seconds since the admin server started");
  out += "mailtee_uptime_seconds " +
         std::to_string(std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                                         ctx.started_steady)
                            .count()) +
         "\n";
  Gauge(&out, "mailtee_admin_sessions", "Logged-in admin console sessions");
  out += "mailtee_admin_sessions " + std::to_string(ctx.sessions ? ctx.sessions->size() : 0) + "\n";
  CertificateExpiry expiry;
  if (!ctx.settings->cert_file.empty() && ReadCertificateExpiry(ctx.settings->cert_file, &expiry).ok()) {
    Gauge(&out, "mailtee_tls_cert_not_after_seconds", "Expiry of the server certificate (Unix time)");
    out += "mailtee_tls_cert_not_after_seconds " + std::to_string(expiry.not_after_unix) + "\n";
  }
  if (ctx.services.metrics) out += ctx.services.metrics->RenderPrometheus();
  return out;
}

}  // namespace

void AddMetricsRoutes(Router* router, ApiContext* ctx) {
  // Public route: the handler decides (session, socket, allowed address or bearer token).
  router->Add("GET", "/metrics", Access::kPublic, [ctx](const Request& req, Reply reply) {
    bool has_session = ctx->sessions && ctx->FindSession(req) != nullptr;
    switch (CheckMetricsAccess(req, has_session, ctx->settings->metrics_allow, ctx->settings->metrics_token)) {
      case MetricsAccess::kAllowed:
        break;
      case MetricsAccess::kNeedsCredentials: {
        Response denied = ErrorResponse(401, "metrics: log in, scrape from an address in <admin metrics-allow>, "
                                             "or send Authorization: Bearer <metrics-token-file contents>");
        denied.AddHeader("WWW-Authenticate", "Bearer realm=\"mailtee metrics\"");
        reply(std::move(denied));
        return;
      }
      case MetricsAccess::kWrongToken:
        ctx->Audit("-", req.peer_ip, "refused /metrics: wrong bearer token");
        reply(ErrorResponse(403, "metrics: wrong bearer token"));
        return;
    }
    Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = RenderMetrics(*ctx);
    reply(std::move(r));
  });
}

}  // namespace mailtee::admin
