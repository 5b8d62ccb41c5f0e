#include "admin/admin_server.h"

#include <exception>

#include "admin/auth/cookies.h"
#include "admin/auth/session_file.h"
#include "admin/http/http_connection.h"
#include "admin/http/origin_check.h"
#include "admin/http/unix_socket.h"
#include "admin/metrics.h"
#include "proxy/net/discard.h"
#include "proxy/net/listener.h"

namespace mailtee::admin {
namespace {

// A flood of refused connections writes at most one log line per interval.
constexpr std::chrono::seconds kTurnedAwayLogInterval{10};

const char* RefusalLabel(ConnectionAdmission::Refusal refusal) {
  switch (refusal) {
    case ConnectionAdmission::Refusal::kPerClient: return "per_client";
    case ConnectionAdmission::Refusal::kFull: return "full";
    case ConnectionAdmission::Refusal::kLocalFull: return "local_full";
    case ConnectionAdmission::Refusal::kNone: break;
  }
  return "";
}

}  // namespace

AdminServer::AdminServer(uv_loop_t* loop, AdminSettings settings, SSL_CTX* server_tls, AdminServices services)
    : loop_(loop),
      settings_(std::move(settings)),
      server_tls_(server_tls),
      sessions_(settings_.sessions),
      throttle_(settings_.throttle),
      users_(settings_.users_file),
      admission_({settings_.max_connections, settings_.max_connections_per_ip, settings_.max_local_connections}),
      turned_away_log_(kTurnedAwayLogInterval) {
  ctx_.loop = loop_;
  ctx_.settings = &settings_;
  ctx_.services = services;
  ctx_.sessions = &sessions_;
  ctx_.throttle = &throttle_;
  ctx_.users = &users_;
  AddAuthRoutes(&router_, &ctx_);
  AddStatusRoutes(&router_, &ctx_);
  AddArchiveRoutes(&router_, &ctx_);
  AddLogRoutes(&router_, &ctx_);
  AddConfigRoutes(&router_, &ctx_);
  AddMetricsRoutes(&router_, &ctx_);
  AddMessageRoutes(&router_, &ctx_);
  AddStatsRoutes(&router_, &ctx_);
  AddConsoleRoutes(&router_, &ctx_);
  AddApprovalLinkRoutes(&router_, &ctx_);
  AddApprovalRoutes(&router_, &ctx_);
}

AdminServer::~AdminServer() {
  *ctx_.alive = false;  // pending password checks finish into nothing
  // Normally empty (Stop first). Live connections are left to their close
  // callbacks rather than freed under libuv's feet.
  for (auto& [raw, connection] : connections_) {
    raw->Close();
    connection.http.release();
  }
}

Status AdminServer::Start() {
  if (settings_.https_enabled) {
    if (!server_tls_) return Status::Error("admin console: no server TLS context");
    // No per-IP cap in the listener: admission_ counts per client, an IPv6 /64 as one.
    Status s = net::TcpListener::Listen(
        loop_, settings_.address, settings_.port, 0,
        [this](std::unique_ptr<net::Stream> stream) { Accept(std::move(stream), false); }, &https_);
    if (!s.ok()) return s.WithContext("(admin console)");
  }
  if (!settings_.socket_path.empty()) {
    Status s = UnixListener::Listen(
        loop_, settings_.socket_path, [this](std::unique_ptr<net::Stream> stream) { Accept(std::move(stream), true); },
        &local_);
    if (!s.ok()) {
      if (https_) https_->Close(nullptr);
      https_.reset();
      return s;
    }
  }
  ctx_.started_at = std::chrono::system_clock::now();
  ctx_.started_steady = std::chrono::steady_clock::now();
  if (!settings_.sessions_file.empty()) {
    size_t restored = 0;
    Status kept = RestoreSessions(settings_.sessions_file, &sessions_, &restored);
    if (!kept.ok()) ctx_.Audit("-", "-", "console sessions not restored: " + kept.ToString());
    else if (restored > 0) ctx_.Audit("-", "-", std::to_string(restored) + " console session(s) kept across the restart");
  }
  std::string where;
  if (https_) where += " https://" + https_->description();
  if (local_) where += " " + local_->path();
  ctx_.Audit("-", "-", "console listening on" + where + " (" + std::to_string(users_.user_count()) + " users in " +
                           settings_.users_file + ")");
  return Status::Ok();
}

uint16_t AdminServer::https_port() const { return https_ ? https_->port() : 0; }

void AdminServer::Accept(std::unique_ptr<net::Stream> stream, bool local) {
  if (stopping_) {
    net::CloseAndDiscard(std::move(stream));
    return;
  }
  const ConnectionAdmission::Decision decision = local ? admission_.AdmitLocal() : admission_.AdmitTcp(stream->peer());
  const std::string from = local ? "local" : stream->peer().text;
  if (!decision.admitted()) {
    NoteTurnedAway(from, decision);
    net::CloseAndDiscard(std::move(stream));
    return;
  }
  if (decision.evicted != 0) {
    EvictConnection(decision.evicted);
    NoteTurnedAway(from, decision);
  }
  ConnectionOptions options;
  options.limits = settings_.limits;
  options.handshake_timeout_ms = static_cast<uint64_t>(settings_.handshake_timeout_ms);
  options.idle_timeout_ms = static_cast<uint64_t>(settings_.idle_timeout_seconds) * 1000;
  options.request_timeout_ms = static_cast<uint64_t>(settings_.request_timeout_seconds) * 1000;
  options.local_socket = local;
  auto connection = std::make_unique<HttpConnection>(
      loop_, std::move(stream), local ? nullptr : server_tls_, options,
      [this](Request request, Reply reply) { Dispatch(std::move(request), std::move(reply)); },
      [this](HttpConnection* c) { ConnectionFinished(c); });
  HttpConnection* raw = connection.get();
  connections_.emplace(raw, Connection{std::move(connection), decision.id});
  raw->Start();
}

void AdminServer::EvictConnection(ConnectionAdmission::Id slot) {
  for (auto& [raw, connection] : connections_) {
    if (connection.slot == slot) {
      raw->Close();  // its table entry goes in ConnectionFinished
      return;
    }
  }
}

// Refused (or admitted by evicting another): a log line at most every
// kTurnedAwayLogInterval, saying how many were held back, and a counter.
void AdminServer::NoteTurnedAway(const std::string& from, const ConnectionAdmission::Decision& decision) {
  if (Metrics* metrics = ctx_.services.metrics) {
    if (decision.admitted()) {
      metrics->GetCounter("mailtee_admin_connections_evicted_total",
                          "Admin connections closed to make room for another client (console full)")
          ->Increment();
    } else {
      metrics->GetCounter("mailtee_admin_connections_refused_total", "Admin connections refused by a limit",
                          {{"reason", RefusalLabel(decision.refusal)}})
          ->Increment();
    }
  }
  uint64_t held_back = 0;
  if (!turned_away_log_.Allow(LogRateLimiter::Clock::now(), &held_back)) return;
  std::string line = (decision.admitted() ? "connection admitted: " : "connection refused: ") + decision.reason;
  if (held_back > 0) {
    line += " (and " + std::to_string(held_back) + " more since the previous such line)";
  }
  ctx_.Audit("-", from, line);
}

void AdminServer::ConnectionFinished(HttpConnection* connection) {
  auto it = connections_.find(connection);
  if (it != connections_.end()) {
    admission_.Release(it->second.slot);
    connections_.erase(it);
  }
  MaybeStopped();
}

void AdminServer::Dispatch(Request request, Reply reply) {
  RouteMatch match = router_.Find(request.method, request.path);
  if (match.status == 404) {
    reply(ErrorResponse(404, "no such endpoint"));
    return;
  }
  if (match.status == 405) {
    Response r = ErrorResponse(405, "method " + request.method + " not allowed here");
    r.AddHeader("Allow", match.allow);
    reply(std::move(r));
    return;
  }
  request.params = std::move(match.params);
  const Route& route = *match.route;
  if (request.local_socket) {
    request.user = "local";  // the socket's file permission authenticated the caller
  } else if (route.access != Access::kPublic) {
    const AdminSession* session = ctx_.FindSession(request);
    if (!session) {
      reply(ErrorResponse(401, "log in first (POST /api/login)"));
      return;
    }
    request.user = session->user;
    if (route.access == Access::kAdmin && session->role != Role::kAdmin) {
      ctx_.Audit(session->user, request.peer_ip,
                 "refused " + request.method + " " + request.path + ": needs the admin role, has " +
                     RoleName(session->role));
      reply(ErrorResponse(403, std::string("your role (") + RoleName(session->role) +
                                   ") may not do this; it needs an administrator",
                          "role_forbidden", {{"role", RoleName(session->role)}, {"needs", "admin"}}));
      return;
    }
    if (IsStateChanging(request.method)) {
      if (!OriginIsThisServer(request, settings_.public_url)) {  // no Origin: the CSRF token still applies
        ctx_.Audit(session->user, request.peer_ip, "refused " + request.method + " " + request.path + ": foreign Origin");
        reply(ErrorResponse(403, "cross-origin request refused"));
        return;
      }
      if (!CsrfTokenValid(*session, request.Header("x-csrf-token"))) {
        ctx_.Audit(session->user, request.peer_ip, "refused " + request.method + " " + request.path + ": bad CSRF token");
        reply(ErrorResponse(403, "missing or wrong X-CSRF-Token"));
        return;
      }
    }
  }
  try {
    route.handler(request, reply);
  } catch (const std::exception& e) {
    ctx_.LogError(request.method + " " + request.path + ": " + e.what());
    reply(ErrorResponse(500, "internal error"));
  }
}

void AdminServer::Stop(std::function<void()> done) {
  stopping_ = true;
  if (!settings_.sessions_file.empty() && sessions_.size() > 0) {
    Status saved = SaveSessions(sessions_, settings_.sessions_file);
    if (!saved.ok()) ctx_.Audit("-", "-", "console sessions not kept (users log in again): " + saved.ToString());
  }
  stopped_ = std::move(done);
  if (https_) {
    ++listeners_closing_;
    https_->Close([this] {
      --listeners_closing_;
      MaybeStopped();
    });
  }
  if (local_) {
    ++listeners_closing_;
    local_->Close([this] {
      --listeners_closing_;
      MaybeStopped();
    });
  }
  std::vector<HttpConnection*> live;
  for (auto& [raw, c] : connections_) live.push_back(raw);
  for (HttpConnection* c : live) c->Close();
  MaybeStopped();
}

void AdminServer::MaybeStopped() {
  if (stopping_ && connections_.empty() && listeners_closing_ == 0 && stopped_) {
    auto done = std::move(stopped_);
    stopped_ = nullptr;
    done();
  }
}

}  // namespace mailtee::admin
