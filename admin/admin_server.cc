#include "admin/admin_server.h"

#include <exception>

#include "admin/auth/cookies.h"
#include "admin/http/http_connection.h"
#include "admin/http/unix_socket.h"
#include "proxy/net/discard.h"
#include "proxy/net/listener.h"

namespace mailtee::admin {
namespace {

// "https://host:8443/some/path" -> "https://host:8443"
std::string OriginOf(const std::string& url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  size_t path = url.find('/', scheme + 3);
  return path == std::string::npos ? url : url.substr(0, path);
}

}  // namespace

AdminServer::AdminServer(uv_loop_t* loop, AdminSettings settings, SSL_CTX* server_tls, AdminServices services)
    : loop_(loop),
      settings_(std::move(settings)),
      server_tls_(server_tls),
      sessions_(settings_.sessions),
      throttle_(settings_.throttle),
      users_(settings_.users_file) {
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
    connection.release();
  }
}

Status AdminServer::Start() {
  if (settings_.https_enabled) {
    if (!server_tls_) return Status::Error("admin console: no server TLS context");
    Status s = net::TcpListener::Listen(
        loop_, settings_.address, settings_.port, settings_.max_connections_per_ip,
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
  std::string where;
  if (https_) where += " https://" + https_->description();
  if (local_) where += " " + local_->path();
  ctx_.Audit("-", "-", "console listening on" + where + " (" + std::to_string(users_.user_count()) + " users in " +
                           settings_.users_file + ")");
  return Status::Ok();
}

uint16_t AdminServer::https_port() const { return https_ ? https_->port() : 0; }

void AdminServer::Accept(std::unique_ptr<net::Stream> stream, bool local) {
  if (stopping_ || static_cast<int>(connections_.size()) >= settings_.max_connections) {
    net::CloseAndDiscard(std::move(stream));
    return;
  }
  ConnectionOptions options;
  options.limits = settings_.limits;
  options.idle_timeout_ms = static_cast<uint64_t>(settings_.idle_timeout_seconds) * 1000;
  options.request_timeout_ms = static_cast<uint64_t>(settings_.request_timeout_seconds) * 1000;
  options.local_socket = local;
  auto connection = std::make_unique<HttpConnection>(
      loop_, std::move(stream), local ? nullptr : server_tls_, options,
      [this](Request request, Reply reply) { Dispatch(std::move(request), std::move(reply)); },
      [this](HttpConnection* c) { ConnectionFinished(c); });
  HttpConnection* raw = connection.get();
  connections_.emplace(raw, std::move(connection));
  raw->Start();
}

void AdminServer::ConnectionFinished(HttpConnection* connection) {
  connections_.erase(connection);
  MaybeStopped();
}

bool AdminServer::OriginAllowed(const Request& request) const {
  const std::string& origin = request.Header("origin");
  if (origin.empty()) return true;  // non-browser clients; the CSRF token still applies
  if (!settings_.public_url.empty() && origin == OriginOf(settings_.public_url)) return true;
  const std::string& host = request.Header("host");
  return !host.empty() && origin == "https://" + host;
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
      if (!OriginAllowed(request)) {
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
