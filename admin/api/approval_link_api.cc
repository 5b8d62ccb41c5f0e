// GET  /approval/{token}   the confirmation page behind an approval link
// POST /approval/{token}   the decision (form: token=<same token>, reason=...)
//
// Public (no login): the signed, single-use token is the authority. GET only
// peeks (mail scanners and link previews open links; nothing may change), and
// POST acts through ApprovalService::ActWithToken, so relays, notices and the
// approval log follow exactly as for a mail command.
//
// Cross-site forgery: the attacker would need the token itself, which only
// the approver's mail holds. The form repeats it in a hidden field that must
// equal the path (a POST without the page's form fails), and a browser's
// Sec-Fetch-Site: cross-site / a foreign Origin is refused as well. ("Origin:
// null" is what browsers send for a form on a no-referrer page: allowed.)
//
// Refused POSTs cost the client IP like failed logins (LoginThrottle: a few
// free, then exponential lockout, 429): each refusal is an fsync'd approval
// log line, and nobody needs many wrong tries at a link from their own mail.
//
// Pages are pure HTML without scripts, under a CSP that allows no script at
// all, never cached, never framed, never leaking the token in a Referer.
#include "admin/api/api_context.h"
#include "admin/http/origin_check.h"
#include "proxy/approval/approval_page.h"
#include "proxy/approval/approval_service.h"

namespace mailtee::admin {
namespace {

constexpr const char kPageCsp[] =
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

Response HtmlPage(int status, std::string html) {
  Response r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  r.body = std::move(html);
  // Cache-Control: no-store, Referrer-Policy: no-referrer and X-Frame-Options:
  // DENY are on every response (response_writer.cc); the CSP is this page's.
  r.AddHeader("Content-Security-Policy", kPageCsp);
  return r;
}

Response Refusal(int status, const std::string& why) {
  approval::ActionResult refused;
  refused.status = Status::Error(why);
  return HtmlPage(status, approval::RenderResultPage(refused));
}

bool FormFromThisSite(const Request& request, const AdminSettings& settings) {
  if (request.Header("sec-fetch-site") == "cross-site") return false;
  const std::string& origin = request.Header("origin");
  if (origin == "null") return true;
  // The links in the mails carry <approval public-url>; it may name the server differently.
  if (!origin.empty() && !settings.approval_public_url.empty() &&
      OriginOf(origin) == OriginOf(settings.approval_public_url)) {
    return true;
  }
  return OriginIsThisServer(request, settings.public_url);
}

void GetLink(ApiContext* ctx, const Request& req, Reply reply) {
  approval::ApprovalService* service = ctx->services.approvals;
  if (!service) {
    reply(Refusal(404, "approvals are not enabled on this server"));
    return;
  }
  const std::string& token = req.params.at("token");
  approval::ActionResult peek = service->PeekToken(token);
  reply(HtmlPage(peek.status.ok() ? 200 : 400,
                 approval::RenderConfirmationPage(peek, token, "/approval/" + token)));
}

void PostLink(ApiContext* ctx, const Request& req, Reply reply) {
  approval::ApprovalService* service = ctx->services.approvals;
  if (!service) {
    reply(Refusal(404, "approvals are not enabled on this server"));
    return;
  }
  const std::string& token = req.params.at("token");
  const std::string throttle_key = "approval-link ip=" + req.peer_ip;
  if (const int64_t wait = ctx->throttle->RetryAfterSeconds(throttle_key); wait > 0) {
    Response r = Refusal(429, "too many refused attempts from your address; try again in " + std::to_string(wait) + " s");
    r.AddHeader("Retry-After", std::to_string(wait));
    reply(std::move(r));
    return;
  }
  if (!FormFromThisSite(req, *ctx->settings)) {
    ctx->throttle->RecordFailure(throttle_key);
    ctx->Audit("-", req.peer_ip, "refused POST /approval/...: cross-site form");
    reply(Refusal(403, "this form was not sent from this server's page; open the link from your mail again"));
    return;
  }
  std::map<std::string, std::string> form = ParseQueryString(req.body);
  if (form["token"] != token) {
    ctx->throttle->RecordFailure(throttle_key);
    ctx->Audit("-", req.peer_ip, "refused POST /approval/...: form token does not match the link");
    reply(Refusal(403, "the form does not belong to this link; open the link from your mail again"));
    return;
  }
  std::string reason = form["reason"];
  if (reason.size() > 1000) reason.resize(1000);  // the page's maxlength; the log line stays one line
  for (char& c : reason) {
    if (c == '\r' || c == '\n' || c == '\t') c = ' ';
  }
  approval::ActionResult result = service->ActWithToken(token, req.peer_ip, "web", reason, "");
  if (!result.status.ok()) ctx->throttle->RecordFailure(throttle_key);
  reply(HtmlPage(result.status.ok() ? 200 : 403, approval::RenderResultPage(result)));
}

}  // namespace

void AddApprovalLinkRoutes(Router* router, ApiContext* ctx) {
  router->Add("GET", "/approval/{token}", Access::kPublic,
              [ctx](const Request& r, Reply reply) { GetLink(ctx, r, std::move(reply)); });
  router->Add("POST", "/approval/{token}", Access::kPublic,
              [ctx](const Request& r, Reply reply) { PostLink(ctx, r, std::move(reply)); });
}

}  // namespace mailtee::admin
