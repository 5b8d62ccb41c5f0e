// The approval queue in the JSON API (login + CSRF over HTTPS; no login on the
// root-only local socket, for `mailtee approval ...` while the daemon runs):
//
//   GET  /api/approvals?state=pending|all|<state>&limit=N
//        -> {"state", "items": [hold...], "delegations": [...], "truncated"}
//        pending: oldest first (most urgent); otherwise newest first.
//   GET  /api/approvals/history?days=N   (1..366, default 7)
//        -> {"days", "events": [{"time", "event", "id", "by", ...}], "truncated"}
//        read back from the approval log, newest first.
//   GET  /api/approvals/{id}             -> hold + "undecided" approvers
//   POST /api/approvals/{id}/approve|reject   {"reason": "...", "as": "approver"}
//        refused by separation of duties: 403 {"error", "code": own-message |
//        senders-slot | already-decided} (docs/approval.md)
//   POST /api/approvals/delegate         {"approver", "proxy" ("" clears), "until": "YYYY-MM-DD"}
//
// Decisions. Over HTTPS an admin decides *on behalf of* one of the hold's
// approvers ("as"; may be left out when only one approver is still
// undecided): the decision names "admin:<user>" as who acted and the approver
// as on whose behalf, so quorum counts it for that approver and the trail
// shows the admin. Over the local socket the CLI's --as approver acts
// (approver or active proxy), as `mailtee approval approve` did offline.
// Either way ApprovalService::DecideAsAdmin checks, records the decision,
// writes the approval-log line and moves the hold on, so relays and notices
// follow exactly as after a link or mail command; the system log gets the
// admin audit line.
#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>

#include "admin/api/api_context.h"
#include "admin/api/approval_history.h"
#include "admin/api/json_util.h"
#include "proxy/approval/address_pattern.h"
#include "proxy/approval/approval_log.h"
#include "proxy/approval/approval_service.h"
#include "proxy/approval/mail_command.h"

namespace mailtee::admin {
namespace {

using nlohmann::json;
using approval::HeldMessage;
using approval::HoldState;

constexpr size_t kDefaultLimit = 200;
constexpr size_t kMaxLimit = 2000;
constexpr size_t kMaxHistoryEvents = 5000;

Response NotEnabled() { return ErrorResponse(404, "approvals are not enabled on this server"); }

json HoldJson(const HeldMessage& h) {
  json j = json::parse(approval::HeldMessageToJson(h), nullptr, false);
  if (!j.is_object()) j = json{{"id", h.id}};
  j["approvals"] = h.Approvals();
  return j;
}

// Rule approvers who have not decided yet (neither themselves nor a proxy).
std::vector<std::string> Undecided(const HeldMessage& h) {
  std::vector<std::string> out;
  for (const std::string& a : h.approvers) {
    if (!h.DecidedBy(a)) out.push_back(a);
  }
  return out;
}

int64_t NowSeconds() { return static_cast<int64_t>(time(nullptr)); }

// Parses a JSON object body ("" = {}); false with a 400 already sent.
bool BodyObject(const Request& req, const Reply& reply, json* out) {
  if (req.body.empty()) {
    *out = json::object();
    return true;
  }
  *out = json::parse(req.body, nullptr, false);
  if (!out->is_object()) {
    reply(ErrorResponse(400, "body must be a JSON object"));
    return false;
  }
  return true;
}

std::string StringField(const json& body, const char* name) {
  auto it = body.find(name);
  return it != body.end() && it->is_string() ? it->get<std::string>() : "";
}

// One line: the approval log and the UI show reasons on one line.
std::string OneLine(std::string text, size_t max) {
  if (text.size() > max) text.resize(max);
  for (char& c : text) {
    if (c == '\r' || c == '\n' || c == '\t') c = ' ';
  }
  return text;
}

void ListHolds(ApiContext* ctx, const Request& req, Reply reply) {
  approval::ApprovalService* service = ctx->services.approvals;
  if (!service) return reply(NotEnabled());
  std::string state = req.Query("state").empty() ? "pending" : req.Query("state");
  HoldState only = HoldState::kPending;
  if (state != "all" && !approval::ParseHoldState(state, &only)) {
    return reply(ErrorResponse(400, "state must be all or one of pending, approved, rejected, expired, withdrawn, relayed"));
  }
  size_t limit = kDefaultLimit;
  const std::string& limit_text = req.Query("limit");
  if (!limit_text.empty()) {
    if (limit_text.size() > 5 || limit_text.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(limit_text) == 0) {
      return reply(ErrorResponse(400, "limit must be a number from 1 to " + std::to_string(kMaxLimit)));
    }
    limit = std::min<size_t>(std::stoul(limit_text), kMaxLimit);
  }
  std::vector<HeldMessage> holds;
  Status s = service->queue()->List(&holds, state == "all" ? nullptr : &only);
  if (!s.ok()) return reply(ErrorResponse(500, s.message()));
  if (state != "pending") std::reverse(holds.begin(), holds.end());  // newest first
  json items = json::array();
  for (size_t i = 0; i < holds.size() && i < limit; ++i) items.push_back(HoldJson(holds[i]));
  std::vector<approval::Delegation> delegations;
  json dj = json::array();
  if (service->queue()->ListDelegations(&delegations).ok()) {
    for (const auto& d : delegations) {
      dj.push_back({{"approver", d.approver}, {"proxy", d.proxy}, {"until", d.until}, {"active", d.ActiveAt(NowSeconds())}});
    }
  }
  reply(Json({{"state", state}, {"items", items}, {"delegations", dj}, {"truncated", holds.size() > limit}}));
}

void GetHold(ApiContext* ctx, const Request& req, Reply reply) {
  approval::ApprovalService* service = ctx->services.approvals;
  if (!service) return reply(NotEnabled());
  HeldMessage h;
  bool found = false;
  Status s = service->queue()->Get(req.params.at("id"), &h, &found);
  if (!s.ok()) return reply(ErrorResponse(500, s.message()));
  if (!found) return reply(ErrorResponse(404, "no held message " + req.params.at("id")));
  json j = HoldJson(h);
  j["undecided"] = h.state == HoldState::kPending ? Undecided(h) : std::vector<std::string>{};
  reply(Json(j));
}

int HttpStatusFor(approval::Refusal refusal, bool local_socket) {
  switch (refusal) {
    case approval::Refusal::kNotFound: return 404;
    case approval::Refusal::kNotPending: return 409;
    // The console's "as" picks from the hold's approvers (a request error);
    // the CLI's --as names who decides (forbidden when not entitled).
    case approval::Refusal::kNotAuthorized: return local_socket ? 403 : 400;
    case approval::Refusal::kSeparationOfDuties: return 403;  // this person may not decide it, whoever they act for
    default: return 500;
  }
}

void Decide(ApiContext* ctx, const Request& req, Reply reply, const std::string& action) {
  approval::ApprovalService* service = ctx->services.approvals;
  if (!service) return reply(NotEnabled());
  json body;
  if (!BodyObject(req, reply, &body)) return;
  const std::string id = req.params.at("id");
  const std::string reason = OneLine(StringField(body, "reason"), 1000);
  std::string as = approval::NormalizeAddress(StringField(body, "as"));
  if (as.empty()) {
    if (req.local_socket) return reply(ErrorResponse(400, "say who decides: \"as\": an approver of " + id));
    // The console: "as" may be left out when only one approver is undecided.
    HeldMessage h;
    bool found = false;
    Status s = service->queue()->Get(id, &h, &found);
    if (!s.ok()) return reply(ErrorResponse(500, s.message()));
    if (!found) return reply(ErrorResponse(404, "no held message " + id));
    if (h.state != HoldState::kPending) {
      return reply(ErrorResponse(409, "held message " + id + " is already " + approval::ToString(h.state)));
    }
    const std::vector<std::string> undecided = Undecided(h);
    if (undecided.size() != 1) {
      std::string names;
      for (const auto& a : undecided) names += (names.empty() ? "" : ", ") + a;
      return reply(ErrorResponse(400, "say for which approver you decide: \"as\" = one of " +
                                          (names.empty() ? std::string("(none left)") : names)));
    }
    as = undecided[0];
  }
  // The service checks the hold and `as`, records the decision, writes the
  // approval-log line and moves the hold on (relay / notices).
  approval::ActionResult r =
      service->DecideAsAdmin(id, as, req.local_socket ? "" : req.user, action == "approve", reason,
                             req.local_socket ? "" : req.peer_ip, req.local_socket ? "cli" : "admin");
  ctx->Audit(req.user, req.peer_ip,
             (r.status.ok() ? "" : "refused ") + action + " " + id + " for " + as +
                 (r.status.ok() ? "" : ": " + r.status.message()));
  if (!r.status.ok()) {
    json error{{"error", r.status.message()}};
    // "code" lets the console show the reason in its language (strings.js appr.refused.<code>).
    if (!r.reason_code.empty()) error["code"] = r.reason_code;
    return reply(Json(error, HttpStatusFor(r.refusal, req.local_socket)));
  }
  reply(Json({{"ok", true}, {"message", r.message}, {"item", HoldJson(r.held)}}));
}

void Delegate(ApiContext* ctx, const Request& req, Reply reply) {
  approval::ApprovalService* service = ctx->services.approvals;
  if (!service) return reply(NotEnabled());
  json body;
  if (!BodyObject(req, reply, &body)) return;
  const std::string approver = approval::NormalizeAddress(StringField(body, "approver"));
  const std::string proxy = approval::NormalizeAddress(StringField(body, "proxy"));
  const std::string until = StringField(body, "until");
  if (!approval::IsPlainAddress(approver)) return reply(ErrorResponse(400, "approver must be a mail address"));
  Status s;
  if (proxy.empty()) {
    s = service->queue()->ClearDelegation(approver);
  } else {
    approval::Delegation d{approver, proxy, 0};
    if (!until.empty() && !approval::EndOfLocalDay(until, &d.until)) {
      return reply(ErrorResponse(400, "until must be YYYY-MM-DD"));
    }
    s = service->queue()->SetDelegation(d);
  }
  const std::string what = proxy.empty() ? "proxy cleared" : "proxy " + proxy + (until.empty() ? "" : " until " + until);
  if (s.ok() && ctx->services.approval_log) {
    approval::ApprovalEvent e;
    e.event = proxy.empty() ? "undelegate" : "delegate";
    e.actor = approver;
    e.client_ip = req.local_socket ? "" : req.peer_ip;
    e.via = req.local_socket ? "cli" : "admin";
    e.reason = what + (req.local_socket ? "" : " (set by admin:" + req.user + ")");
    ctx->services.approval_log->Write(e);
  }
  ctx->Audit(req.user, req.peer_ip, (s.ok() ? "" : "refused ") + std::string("delegation of ") + approver + ": " + what +
                                        (s.ok() ? "" : ": " + s.message()));
  if (!s.ok()) return reply(ErrorResponse(400, s.message()));
  reply(Json({{"ok", true}, {"message", approver + ": " + what}}));
}

void History(ApiContext* ctx, const Request& req, Reply reply) {
  if (!ctx->services.approvals) return reply(NotEnabled());
  int days = 7;
  const std::string& days_text = req.Query("days");
  if (!days_text.empty()) {
    if (days_text.size() > 3 || days_text.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(days_text) < 1 || std::stoi(days_text) > 366) {
      return reply(ErrorResponse(400, "days must be a number from 1 to 366"));
    }
    days = std::stoi(days_text);
  }
  std::vector<ApprovalLogEvent> events;
  bool truncated = false;
  Status s = ReadApprovalHistory(ctx->settings->storage_dir, days, time(nullptr), kMaxHistoryEvents, &events, &truncated);
  if (!s.ok()) return reply(ErrorResponse(500, s.message()));
  json out = json::array();
  for (const ApprovalLogEvent& e : events) {
    json j{{"time", e.time}, {"event", e.event}};
    for (const auto& [k, v] : e.fields) {
      if (k != "time" && k != "event") j[k] = v;
    }
    out.push_back(std::move(j));
  }
  reply(Json({{"days", days}, {"events", out}, {"truncated", truncated}}));
}

}  // namespace

void AddApprovalRoutes(Router* router, ApiContext* ctx) {
  // Fixed paths before /api/approvals/{id}: the router takes the first match.
  router->Add("GET", "/api/approvals", Access::kSession,
              [ctx](const Request& r, Reply reply) { ListHolds(ctx, r, std::move(reply)); });
  router->Add("GET", "/api/approvals/history", Access::kSession,
              [ctx](const Request& r, Reply reply) { History(ctx, r, std::move(reply)); });
  router->Add("POST", "/api/approvals/delegate", Access::kAdmin,
              [ctx](const Request& r, Reply reply) { Delegate(ctx, r, std::move(reply)); });
  router->Add("GET", "/api/approvals/{id}", Access::kSession,
              [ctx](const Request& r, Reply reply) { GetHold(ctx, r, std::move(reply)); });
  router->Add("POST", "/api/approvals/{id}/approve", Access::kAdmin,
              [ctx](const Request& r, Reply reply) { Decide(ctx, r, std::move(reply), "approve"); });
  router->Add("POST", "/api/approvals/{id}/reject", Access::kAdmin,
              [ctx](const Request& r, Reply reply) { Decide(ctx, r, std::move(reply), "reject"); });
}

}  // namespace mailtee::admin
