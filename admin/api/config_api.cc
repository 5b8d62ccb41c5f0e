// GET /api/config -> the running configuration with secrets masked (config_json.h).
// POST /api/config/validate and /api/config/reload: config_check_api.cc.
#include "admin/api/api_context.h"
#include "admin/api/config_json.h"
#include "admin/api/json_util.h"

namespace mailtee::admin {

using nlohmann::json;

nlohmann::json ConfigToJson(const config::Config& c) {
  json listeners = json::array();
  for (const config::Listener& l : c.listeners) {
    json allow = json::array();
    for (const auto& n : l.allow) allow.push_back(n.text);
    json item{{"name", l.name},
              {"protocol", config::ToString(l.protocol)},
              {"address", l.address},
              {"port", l.port},
              {"tls", config::ToString(l.tls)},
              {"bare_newline", l.bare_newline == config::BareNewline::kReject ? "reject" : "normalize"},
              {"max_message_bytes", l.max_message_bytes},
              {"max_recipients", l.max_recipients},
              {"max_connections_per_ip", l.max_connections_per_ip},
              {"allow", allow},
              {"auth",
               {{"mode", l.auth.mode == config::AuthMode::kAccount ? "account" : "passthrough"},
                {"user", l.auth.user},
                {"password_set", !l.auth.password.empty()}}},
              {"timeouts",
               {{"greeting", l.timeouts.greeting},
                {"command", l.timeouts.command},
                {"data_block", l.timeouts.data_block},
                {"data_end", l.timeouts.data_end},
                {"idle", l.timeouts.idle}}}};
    if (l.upstream) {
      item["upstream"] = {{"host", l.upstream->host},
                          {"port", l.upstream->port},
                          {"tls", config::ToString(l.upstream->tls)},
                          {"verify", l.upstream->verify},
                          {"ca_file", l.upstream->ca_file}};
    }
    listeners.push_back(std::move(item));
  }
  json out{{"source", c.source},
           {"storage_dir", c.storage_dir},
           {"logs", {{"retention_days", c.logs.retention_days}, {"transcripts", c.logs.transcripts}}},
           {"listeners", listeners}};
  if (c.admin) {
    json allow = json::array();
    for (const auto& n : c.admin->metrics_allow) allow.push_back(n.text);
    // The token file's path is shown, never its contents.
    out["admin"] = {{"enabled", c.admin->enabled},          {"address", c.admin->address},
                    {"port", c.admin->port},                {"users_file", c.admin->users_file},
                    {"public_url", c.admin->public_url},    {"metrics_allow", allow},
                    {"metrics_token_file", c.admin->metrics_token_file}};
  }
  // The key file's path is not secret; its contents never leave the disk.
  if (c.tls) out["tls"] = {{"cert", c.tls->cert}, {"key", c.tls->key}};
  else out["tls"] = {{"self_signed", true}};
  return out;
}

void AddConfigRoutes(Router* router, ApiContext* ctx) {
  router->Add("GET", "/api/config", Access::kAdmin, [ctx](const Request& req, Reply reply) {
    if (!ctx->services.config) {
      reply(ErrorResponse(503, "the configuration is not available"));
      return;
    }
    ctx->Audit(req.user, req.peer_ip, "config view");
    reply(Json(ConfigToJson(*ctx->services.config)));
  });
  AddConfigCheckRoutes(router, ctx);  // validate, reload (config_check_api.cc)
}

}  // namespace mailtee::admin
