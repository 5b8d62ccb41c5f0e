// AdminServer: the admin web console, JSON API and /metrics over HTTPS on the
// daemon's libuv loop, plus the same API without login on the local Unix
// socket (<storage>/admin.sock, 0660) for `mailtee status` and other CLI
// commands that need the running daemon (it holds LevelDB's lock).
//
// Every request passes one guard before its handler (Dispatch):
//   404/405 from the route table → 401 without a live session (HTTPS only;
//   a session ends when its account is changed or removed in the users file)
//   → 403 when the route needs the admin role and the session's is auditor
//   → for state-changing methods: 403 unless X-CSRF-Token matches the session
//     and any Origin header is the public URL's (https://<Host> only
//     without one) → handler.
// Handler exceptions become 500s; nothing throws across the loop.
//
// Usage (daemon side):
//   admin::AdminServer admin(loop, settings, server_ctx, services);
//   Status s = admin.Start();          // after the Daemon started
//   ...
//   admin.Stop([] { ... });            // before the loop ends
#pragma once

#include <functional>
#include <map>
#include <memory>

#include "admin/admin_services.h"
#include "admin/admin_settings.h"
#include "admin/api/api_context.h"
#include "admin/connection_admission.h"
#include "admin/http/router.h"
#include "admin/log_rate_limiter.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct uv_loop_s uv_loop_t;

namespace mailtee::net {
class Stream;
class TcpListener;
}  // namespace mailtee::net

namespace mailtee::admin {

class HttpConnection;
class UnixListener;

class AdminServer {
 public:
  // server_tls: the listeners' server context (same certificate); it must
  // outlive the server. May be null only when settings.https_enabled is false.
  AdminServer(uv_loop_t* loop, AdminSettings settings, SSL_CTX* server_tls, AdminServices services);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Opens the HTTPS listener and the local socket. On error nothing stays open.
  Status Start();
  // Stops accepting, closes every connection, then calls done (may be empty).
  void Stop(std::function<void()> done);

  uint16_t https_port() const;

  // The guard and the route table, without a network (tests, fuzzing).
  void Dispatch(Request request, Reply reply);

  const Router& router() const { return router_; }

  // Turns the approval endpoints on (they answer 404 until then). Call on the
  // loop thread before or after Start(); the service must outlive the server.
  void AttachApprovals(approval::ApprovalService* service, approval::ApprovalLog* log = nullptr) {
    ctx_.services.approvals = service;
    ctx_.services.approval_log = log;
  }

 private:
  void Accept(std::unique_ptr<net::Stream> stream, bool local);
  void EvictConnection(ConnectionAdmission::Id slot);
  void NoteTurnedAway(const std::string& from, const ConnectionAdmission::Decision& decision);
  void ConnectionFinished(HttpConnection* connection);
  void MaybeStopped();

  uv_loop_t* loop_;
  AdminSettings settings_;
  SSL_CTX* server_tls_;
  SessionStore sessions_;
  LoginThrottle throttle_;
  UserDirectory users_;
  ApiContext ctx_;
  Router router_;
  std::unique_ptr<net::TcpListener> https_;
  std::unique_ptr<UnixListener> local_;
  struct Connection {
    std::unique_ptr<HttpConnection> http;
    ConnectionAdmission::Id slot = 0;
  };
  std::map<HttpConnection*, Connection> connections_;
  ConnectionAdmission admission_;
  LogRateLimiter turned_away_log_;
  bool stopping_ = false;
  int listeners_closing_ = 0;
  std::function<void()> stopped_;
};

}  // namespace mailtee::admin
