// GET /api/config -> the running configuration with secrets masked (config_json.h).
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
  // The key file's path is not secret; its contents never leave the disk.
  if (c.tls) out["tls"] = {{"cert", c.tls->cert}, {"key", c.tls->key}};
  else out["tls"] = {{"self_signed", true}};
  return out;
}

void AddConfigRoutes(Router* router, ApiContext* ctx) {
  router->Add("GET", "/api/config", Access::kSession, [ctx](const Request& req, Reply reply) {
    if (!ctx->services.config) {
      reply(ErrorResponse(503, "the configuration is not available"));
      return;
    }
    ctx->Audit(req.user, req.peer_ip, "config view");
    reply(Json(ConfigToJson(*ctx->services.config)));
  });
}

}  // namespace mailtee::admin
