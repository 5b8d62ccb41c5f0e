// POST /api/login   {"user": "...", "password": "..."} -> session cookie + {"user", "role", "csrf_token"}
// POST /api/logout  (session + CSRF)                    -> cookie cleared
// GET  /api/session (session)                           -> {"user", "role", "csrf_token"} for a reloaded page
//
// Password checks run on a libuv worker thread (Argon2id takes ~0.1 s and
// 64 MiB; the loop also carries mail). Each attempt is counted against the
// throttle (per client network, and per user *from* that network) before it
// is hashed, so parallel tries get no more checks than sequential ones; an
// unknown user costs the same hash as a known one, so timing does not reveal
// which names exist.
#include <uv.h>

#include <nlohmann/json.hpp>

#include "admin/api/api_context.h"
#include "admin/auth/cookies.h"
#include "admin/auth/password_hash.h"

namespace mailtee::admin {
namespace {

using nlohmann::json;

// A valid hash of a random password, verified for unknown users.
const std::string& DummyHash() {
  static const std::string hash = [] {
    std::string h;
    HashPassword("mailtee-no-such-user-placeholder", HashCost::Interactive(), &h);
    return h;
  }();
  return hash;
}

struct LoginWork {
  uv_work_t req;
  std::string user, password, hash, client_ip;
  std::vector<std::string> throttle_keys;
  bool user_known = false;
  bool ok = false;
  ApiContext* ctx;
  std::function<bool(const std::string&, const std::string&)> verify;
  std::weak_ptr<bool> alive;
  Reply reply;
};

void VerifyOnWorker(uv_work_t* req) {
  auto* w = static_cast<LoginWork*>(req->data);
  w->ok = w->verify(w->password, w->user_known ? w->hash : DummyHash()) && w->user_known;
  WipeString(&w->password);
}

Response TooManyAttempts(int64_t retry_after) {
  Response r = ErrorResponse(429, "too many failed logins; try again in " + std::to_string(retry_after) + " s");
  r.AddHeader("Retry-After", std::to_string(retry_after));
  return r;
}

void AfterVerify(uv_work_t* req, int status) {
  std::unique_ptr<LoginWork> w(static_cast<LoginWork*>(req->data));
  if (w->alive.expired()) return;  // the server is gone; nobody to answer
  ApiContext* ctx = w->ctx;
  --ctx->pending_logins;
  // The account may have changed while the hash ran: only the hash that was
  // checked, still current, opens a session (with the role it has now).
  AdminUser account;
  bool still_there = false;
  if (status == 0 && w->ok) {
    Status s = ctx->users->Find(w->user, &account, &still_there);
    if (!s.ok()) ctx->LogError(s.message());
  }
  if (status != 0 || !w->ok || !still_there || account.hash != w->hash) {
    // The failure was counted before the check (BeginAttempt).
    ctx->Audit(w->user, w->client_ip, "login failed");
    w->reply(ErrorResponse(401, "wrong user name or password"));
    return;
  }
  for (const std::string& key : w->throttle_keys) ctx->throttle->RecordSuccess(key);
  AdminSession session;
  std::string token = ctx->sessions->Create(w->user, account.role, AccountStamp(account), w->client_ip, &session);
  ctx->Audit(w->user, w->client_ip, std::string("login ok (") + RoleName(account.role) + ")");
  Response r = JsonResponse(
      200, json{{"user", w->user}, {"role", RoleName(account.role)}, {"csrf_token", session.csrf_token}}.dump());
  r.AddHeader("Set-Cookie", SessionSetCookie(token));
  w->reply(std::move(r));
}

void Login(ApiContext* ctx, const Request& req, Reply reply) {
  if (req.local_socket) {
    reply(ErrorResponse(400, "the local socket needs no login"));
    return;
  }
  // JSON only: a cross-site HTML form cannot send application/json without a
  // CORS preflight, so this also blocks login CSRF.
  const std::string& type = req.Header("content-type");
  if (type.rfind("application/json", 0) != 0) {
    reply(ErrorResponse(415, "send the credentials as application/json"));
    return;
  }
  json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object() || !body.contains("user") || !body.contains("password") || !body["user"].is_string() ||
      !body["password"].is_string()) {
    reply(ErrorResponse(400, "expected {\"user\": \"...\", \"password\": \"...\"}"));
    return;
  }
  auto w = std::make_unique<LoginWork>();
  w->user = body["user"].get<std::string>();
  w->password = body["password"].get<std::string>();
  body = nullptr;  // drop the parsed copy of the password early
  w->client_ip = req.peer_ip;
  if (!IsValidUserName(w->user)) {
    reply(ErrorResponse(401, "wrong user name or password"));
    return;
  }
  if (ctx->pending_logins >= ctx->settings->max_pending_logins) {
    Response r = ErrorResponse(429, "too many logins in progress; try again shortly");
    r.AddHeader("Retry-After", "1");
    reply(std::move(r));
    return;
  }
  w->throttle_keys = LoginThrottleKeys(w->user, w->client_ip);
  if (int64_t wait = ctx->throttle->BeginAttempt(w->throttle_keys); wait > 0) {
    ctx->Audit(w->user, w->client_ip, "login refused: throttled for " + std::to_string(wait) + " s");
    reply(TooManyAttempts(wait));
    return;
  }
  Status s = ctx->users->FindHash(w->user, &w->hash, &w->user_known);
  if (!s.ok()) ctx->LogError(s.message());  // the last good copy is still used
  w->ctx = ctx;
  w->verify = ctx->settings->verify_password ? ctx->settings->verify_password : VerifyPassword;
  w->alive = ctx->alive;
  w->reply = std::move(reply);
  w->req.data = w.get();
  ++ctx->pending_logins;
  if (uv_queue_work(ctx->loop, &w->req, VerifyOnWorker, AfterVerify) != 0) {
    --ctx->pending_logins;
    w->reply(ErrorResponse(503, "cannot check the password now"));
    return;
  }
  w.release();  // AfterVerify owns it
}

void Logout(ApiContext* ctx, const Request& req, Reply reply) {
  ctx->sessions->Remove(CookieValue(req.Header("cookie"), kSessionCookieName));
  ctx->Audit(req.user, req.peer_ip, "logout");
  Response r = JsonResponse(200, json{{"ok", true}}.dump());
  r.AddHeader("Set-Cookie", ClearedSessionSetCookie());
  reply(std::move(r));
}

void SessionInfo(ApiContext* ctx, const Request& req, Reply reply) {
  if (req.local_socket) {
    reply(JsonResponse(200, json{{"user", "local"}, {"role", RoleName(Role::kAdmin)}, {"csrf_token", ""}}.dump()));
    return;
  }
  const AdminSession* s = ctx->FindSession(req);
  if (!s) {
    reply(ErrorResponse(401, "not logged in"));
    return;
  }
  reply(JsonResponse(200, json{{"user", s->user}, {"role", RoleName(s->role)}, {"csrf_token", s->csrf_token}}.dump()));
}

}  // namespace

void AddAuthRoutes(Router* router, ApiContext* ctx) {
  router->Add("POST", "/api/login", Access::kPublic,
              [ctx](const Request& r, Reply reply) { Login(ctx, r, std::move(reply)); });
  router->Add("POST", "/api/logout", Access::kSession,
              [ctx](const Request& r, Reply reply) { Logout(ctx, r, std::move(reply)); });
  router->Add("GET", "/api/session", Access::kSession,
              [ctx](const Request& r, Reply reply) { SessionInfo(ctx, r, std::move(reply)); });
}

}  // namespace mailtee::admin
