#include "proxy/approval/approval_service.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>

#include "proxy/approval/address_pattern.h"
#include "proxy/approval/deadline.h"
#include "proxy/approval/hold_screen.h"
#include "proxy/approval/identity.h"
#include "proxy/approval/join.h"
#include "proxy/approval/mail_command.h"
#include "proxy/approval/rules.h"
#include "proxy/approval/separation_of_duties.h"

namespace mailtee::approval {
namespace {

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

Status ApprovalService::Create(ServiceOptions options, std::unique_ptr<ApprovalService>* out) {
  if (options.loop == nullptr || options.config == nullptr) return Status::Error("approval service needs a loop and a config");
  std::string secret;
  Status s = LoadOrCreateSecret(options.config->secret_file, &secret);
  if (!s.ok()) return s;
  std::unique_ptr<HoldQueue> queue;
  s = HoldQueue::Open(options.storage_dir, &queue);
  if (!s.ok()) return s;
  out->reset(new ApprovalService(std::move(options), std::move(queue), std::make_unique<TokenSigner>(secret)));
  return Status::Ok();
}

ApprovalService::ApprovalService(ServiceOptions options, std::unique_ptr<HoldQueue> queue,
                                 std::unique_ptr<TokenSigner> signer)
    : options_(std::move(options)),
      config_(*options_.config),
      queue_(std::move(queue)),
      signer_(std::move(signer)),
      notices_(config_),
      sweep_(options_.loop),
      alive_(std::make_shared<bool>(true)) {}

ApprovalService::~ApprovalService() { *alive_ = false; }

int64_t ApprovalService::Now() const {
  const auto t = options_.clock ? options_.clock() : std::chrono::system_clock::now();
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

void ApprovalService::Start() {
  // Copies of messages whose hold was never recorded (crash before Persist).
  const std::string dir = options_.storage_dir + "/holds";
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      const std::string name = e->d_name;
      if (name.rfind("tmp-", 0) == 0) unlink((dir + "/" + name).c_str());
    }
    closedir(d);
  }
  Sweep();
  sweep_.Start(options_.sweep_interval_ms, [this] { Sweep(); }, options_.sweep_interval_ms);
}

void ApprovalService::Stop() { sweep_.Stop(); }

void ApprovalService::Log(const std::string& event, const HeldMessage* h, const std::string& actor,
                          const std::string& behalf, const std::string& ip, const std::string& via,
                          const std::string& reason) {
  if (options_.log == nullptr) return;
  ApprovalEvent e;
  e.event = event;
  e.actor = actor;
  e.on_behalf_of = behalf;
  e.client_ip = ip;
  e.via = via;
  e.reason = reason;
  if (h) {
    e.held_id = h->id;
    e.sender = h->sender;
    e.recipients = h->recipients;
    e.subject = h->subject;
    e.listener = h->listener;
  }
  options_.log->Write(e);
}

bool ApprovalService::IsApprovalAddress(std::string_view rcpt) const {
  return config_.enabled && NormalizeAddress(rcpt) == config_.address;
}

std::unique_ptr<smtp::HoldScreen> ApprovalService::Screen(const smtp::HoldEnvelope& envelope) {
  if (!config_.enabled) return nullptr;
  std::vector<std::string> rcpts;
  for (const std::string& r : envelope.recipients) rcpts.push_back(NormalizeAddress(r));
  const EnvelopeOutlook outlook =
      PreviewEnvelope(config_, RuleIdentityOf(envelope), rcpts, /*header_from_counts=*/envelope.login.empty());
  if (outlook == EnvelopeOutlook::kPass) return nullptr;
  return std::make_unique<HoldScreenImpl>(this, envelope, outlook == EnvelopeOutlook::kHold);
}

// ---- notices -----------------------------------------------------------------

void ApprovalService::Send(OutgoingMail mail, const std::string& held_id, int attempt) {
  const RelayAccount* account = config_.RelayAccountFor(mail.envelope_from);
  RelayTarget target = options_.relay;
  if (account) {
    target.user = account->user;
    target.password = account->password;
  }
  RelayMessage m{mail.envelope_from, mail.envelope_to, mail.head, mail.attachment_path, mail.tail};
  std::weak_ptr<bool> alive = alive_;
  RelayMessageUpstream(options_.loop, target, std::move(m),
                       [this, alive, held_id, attempt, mail = std::move(mail)](const RelayResult& r) mutable {
    if (alive.expired() || r.status.ok()) return;
    ApprovalEvent e;
    e.event = "notice-failed";
    e.held_id = held_id;
    e.recipients = mail.envelope_to;
    e.subject = mail.subject;
    e.reason = r.status.message() + " (attempt " + std::to_string(attempt) + ")";
    if (options_.log) options_.log->Write(e);
    if (!r.permanent && attempt < options_.max_notice_attempts) {
      // Back off: 1, 4, 9, 16 minutes; picked up by the sweep.
      outbox_.push_back(FailedNotice{std::move(mail), held_id, attempt, Now() + int64_t{60} * attempt * attempt});
    }
  });
}

void ApprovalService::RetryNotices() {
  std::vector<FailedNotice> due;
  for (auto it = outbox_.begin(); it != outbox_.end();) {
    if (it->retry_at <= Now()) {
      due.push_back(std::move(*it));
      it = outbox_.erase(it);
    } else {
      ++it;
    }
  }
  for (FailedNotice& n : due) Send(std::move(n.mail), n.held_id, n.attempts + 1);
}

void ApprovalService::SendRequests(const HeldMessage& h, const std::vector<std::string>& approvers) {
  for (const std::string& approver : approvers) {
    // Separation of duties: the sender's own slot cannot be decided, and a
    // delegation to the sender does not reach the sender's own message.
    if (SamePerson(approver, h.Owner())) continue;
    std::string to = approver, behalf;
    Delegation d;
    bool found = false;
    if (queue_->GetDelegation(approver, &d, &found).ok() && found && d.ActiveAt(Now()) &&
        !SamePerson(d.proxy, h.Owner())) {
      to = d.proxy;
      behalf = approver;
    }
    TokenClaims approve{h.id, to, TokenAction::kApprove, h.expires_at};
    TokenClaims reject{h.id, to, TokenAction::kReject, h.expires_at};
    Send(notices_.ApprovalRequest(h, to, behalf, signer_->Issue(approve), signer_->Issue(reject),
                                  queue_->MessagePath(h.id)),
         h.id);
  }
}

void ApprovalService::OnHeld(const HeldMessage& h) {
  std::string note = h.rule + (h.reason.empty() ? "" : " — " + h.reason);
  // The sender is one of the approvers and cannot decide: say so when the rest cannot reach the quorum.
  const auto deciders = std::count_if(h.approvers.begin(), h.approvers.end(),
                                      [&](const std::string& a) { return !SamePerson(a, h.Owner()); });
  if (deciders < h.quorum) {
    note += " — the sender is an approver and cannot decide; quorum " + std::to_string(h.quorum) +
            " cannot be reached without escalation";
  }
  Log("held", &h, h.user, "", h.client_ip, "smtp", note);
  SendRequests(h, h.approvers);
  if (!h.NoticeAddress().empty()) Send(notices_.HeldNotice(h), h.id);
}

void ApprovalService::NotifySender(const HeldMessage& h, OutcomeKind kind) {
  if (!h.NoticeAddress().empty()) Send(notices_.OutcomeNotice(h, kind, {h.NoticeAddress()}), h.id);
}

std::vector<std::string> ApprovalService::OthersThan(const HeldMessage& h, const std::string& actor) const {
  std::vector<std::string> out;
  for (const std::string& a : h.approvers) {
    if (a != actor) out.push_back(a);
  }
  return out;
}

// ---- decisions -----------------------------------------------------------------

ActionResult ApprovalService::PeekToken(const std::string& token) {
  ActionResult r;
  TokenClaims claims;
  r.status = signer_->Verify(token, std::chrono::system_clock::time_point(std::chrono::seconds(Now())), &claims);
  if (!r.status.ok()) return r;
  if (queue_->TokenUsed(TokenSigner::Fingerprint(token))) {
    r.status = Status::Error("token already used");
    return r;
  }
  bool found = false;
  r.status = queue_->Get(claims.held_id, &r.held, &found);
  if (r.status.ok() && !found) r.status = Status::Error("no held message " + claims.held_id);
  if (r.status.ok() && r.held.state != HoldState::kPending) {
    r.status = Status::Error("held message " + claims.held_id + " is already " + ToString(r.held.state));
  }
  std::string behalf;
  if (r.status.ok() && queue_->Authorize(r.held, claims.approver, Now(), &behalf).ok()) {
    // Say it on the page, before the approver presses the button (the POST would be refused).
    const DutyCheck duty =
        CheckSeparationOfDuties(r.held, Decision{claims.approver, behalf, ToString(claims.action), Now(), "", "", ""});
    if (!duty.ok()) {
      r.status = Status::Error(duty.en);
      r.refusal = Refusal::kSeparationOfDuties;
      r.reason_code = duty.code;
      r.reason_ja = duty.ja;
    }
  }
  if (r.status.ok()) r.message = std::string(ToString(claims.action)) + " " + claims.held_id + " as " + claims.approver;
  return r;
}

ActionResult ApprovalService::ActWithToken(const std::string& token, const std::string& client_ip,
                                           const std::string& via, const std::string& reason,
                                           const std::string& authenticated_actor) {
  ActionResult r;
  TokenClaims claims;
  r.status = signer_->Verify(token, std::chrono::system_clock::time_point(std::chrono::seconds(Now())), &claims);
  const std::string actor = authenticated_actor.empty() ? claims.approver : NormalizeAddress(authenticated_actor);
  if (r.status.ok() && !authenticated_actor.empty() && actor != claims.approver) {
    r.status = Status::Error("the token belongs to " + claims.approver + ", not to " + actor);
  }
  bool found = false;
  if (r.status.ok()) r.status = queue_->Get(claims.held_id, &r.held, &found);
  if (r.status.ok() && !found) r.status = Status::Error("no held message " + claims.held_id);
  std::string behalf;
  if (r.status.ok()) r.status = queue_->Authorize(r.held, actor, Now(), &behalf);
  if (r.status.ok()) {
    Decision d{actor, behalf, ToString(claims.action), Now(), client_ip, via, reason};
    DutyCheck duty;
    r.status = queue_->Decide(claims.held_id, d, TokenSigner::Fingerprint(token), &r.held, &duty);
    if (!duty.ok()) {
      r.refusal = Refusal::kSeparationOfDuties;
      r.reason_code = duty.code;
      r.reason_ja = duty.ja;
    }
  }
  if (!r.status.ok()) {
    Log("refused", found ? &r.held : nullptr, actor.empty() ? authenticated_actor : actor, "", client_ip, via,
        r.status.message());
    return r;
  }
  Log(ToString(claims.action), &r.held, actor, behalf, client_ip, via, reason);
  r.message = std::string(claims.action == TokenAction::kApprove ? "approved " : "rejected ") + r.held.id;
  if (r.held.state == HoldState::kPending) {
    r.message += " (" + std::to_string(r.held.Approvals()) + " of " + std::to_string(r.held.quorum) + " approvals)";
  }
  Advance(r.held.id);
  return r;
}

ActionResult ApprovalService::Withdraw(const std::string& held_id, const std::string& actor_raw,
                                       const std::string& client_ip, const std::string& via) {
  ActionResult r;
  const std::string actor = NormalizeAddress(actor_raw);
  bool found = false;
  r.status = queue_->Get(held_id, &r.held, &found);
  if (r.status.ok() && !found) r.status = Status::Error("no held message " + held_id);
  if (r.status.ok() && !SamePerson(actor, r.held.Owner())) {
    r.status = Status::Error(actor + " is not the sender of " + held_id);
  }
  if (r.status.ok()) {
    r.status = queue_->Decide(held_id, Decision{actor, "", "withdraw", Now(), client_ip, via, ""}, "", &r.held);
  }
  if (!r.status.ok()) {
    Log("refused", found ? &r.held : nullptr, actor, "", client_ip, via, r.status.message());
    return r;
  }
  Log("withdraw", &r.held, actor, "", client_ip, via, "");
  r.message = "withdrew " + held_id;
  Advance(held_id);
  return r;
}

ActionResult ApprovalService::DecideAsAdmin(const std::string& held_id, const std::string& as_raw,
                                            const std::string& admin_user, bool approve, const std::string& reason,
                                            const std::string& client_ip, const std::string& via) {
  ActionResult r;
  const std::string as = NormalizeAddress(as_raw);
  const std::string action = approve ? "approve" : "reject";
  const std::string actor = admin_user.empty() ? as : "admin:" + admin_user;
  bool found = false;
  r.status = queue_->Get(held_id, &r.held, &found);
  if (!r.status.ok()) {
    r.refusal = Refusal::kStorage;
    return r;
  }
  auto refuse = [&](Refusal why, Status status) {
    r.refusal = why;
    r.status = std::move(status);
    Log("refused", found ? &r.held : nullptr, actor, as, client_ip, via, action + ": " + r.status.message());
    return r;
  };
  if (!found) return refuse(Refusal::kNotFound, Status::Error("no held message " + held_id));
  if (r.held.state != HoldState::kPending) {
    return refuse(Refusal::kNotPending,
                  Status::Error("held message " + held_id + " is already " + ToString(r.held.state)));
  }
  if (as.empty()) return refuse(Refusal::kNotAuthorized, Status::Error("no approver named for " + held_id));
  std::string proxied;  // the approver `as` stands in for, when `as` is a proxy
  Status auth = queue_->Authorize(r.held, as, Now(), &proxied);
  if (!auth.ok()) return refuse(Refusal::kNotAuthorized, auth);
  Decision d{actor, "", action, Now(), client_ip, via, reason};
  // Quorum counts the rule's approver: the proxy's principal, or `as` itself
  // when an admin acts for it.
  d.on_behalf_of = !proxied.empty() ? proxied : (admin_user.empty() ? "" : as);
  DutyCheck duty;
  Status decided = queue_->Decide(held_id, d, "", &r.held, &duty);
  if (!duty.ok()) {
    r.reason_code = duty.code;
    r.reason_ja = duty.ja;
    return refuse(Refusal::kSeparationOfDuties, decided);
  }
  if (!decided.ok()) return refuse(Refusal::kNotPending, decided);
  Log(action, &r.held, actor, d.on_behalf_of, client_ip, via, reason);
  r.message = std::string(approve ? "approved " : "rejected ") + held_id + " for " +
              (d.on_behalf_of.empty() ? as : d.on_behalf_of);
  if (r.held.state == HoldState::kPending) {
    r.message += " (" + std::to_string(r.held.Approvals()) + " of " + std::to_string(r.held.quorum) + " approvals)";
  }
  Advance(held_id);  // relay on approval / notices on rejection, as for a link
  HeldMessage after;
  found = false;
  if (queue_->Get(held_id, &after, &found).ok() && found) r.held = std::move(after);
  return r;
}

// ---- moving holds forward ------------------------------------------------------

void ApprovalService::Sweep() {
  RetryNotices();
  std::vector<HeldMessage> all;
  if (!queue_->List(&all).ok()) return;
  for (const HeldMessage& h : all) {
    if (h.state == HoldState::kPending && h.expires_at > Now()) continue;
    if (h.state != HoldState::kPending && h.state != HoldState::kApproved && h.outcome_notified) continue;
    Advance(h.id);
  }
}

void ApprovalService::Advance(const std::string& id) {
  HeldMessage h;
  bool found = false;
  if (!queue_->Get(id, &h, &found).ok() || !found) return;
  switch (h.state) {
    case HoldState::kPending:
      if (h.expires_at <= Now()) Expire(h);
      return;
    case HoldState::kApproved:
      if (h.relay_attempts < options_.max_relay_attempts) Release(h);
      return;
    default:
      if (!h.outcome_notified) Notify(h);
      return;
  }
}

void ApprovalService::Expire(const HeldMessage& held) {
  const Decision note{"mailtee", "", "expire", Now(), "", "timer", ""};
  HeldMessage h = held;
  if (config_.on_expire == OnExpire::kEscalate && !h.escalated) {
    h.escalated = true;
    std::vector<std::string> added;
    for (const std::string& a : config_.escalate_to) {
      if (!Contains(h.approvers, a)) {
        h.approvers.push_back(a);
        added.push_back(a);
      }
    }
    h.expires_at = ComputeDeadline(Now(), config_.expire_hours, config_.skip_weekends);
    h.decisions.push_back(Decision{"mailtee", "", "escalate", Now(), "", "timer", Join(added, ",")});
    if (!queue_->Put(h).ok()) return;
    Log("escalate", &h, "mailtee", "", "", "timer", Join(added, ","));
    SendRequests(h, added.empty() ? config_.escalate_to : added);
    NotifySender(h, OutcomeKind::kEscalated);
    return;
  }
  if (config_.on_expire == OnExpire::kRelease) {
    const Decision release{"mailtee", "", "release", Now(), "", "timer", "deadline passed"};
    if (!queue_->Transition(h.id, HoldState::kPending, HoldState::kApproved, &release, "", &h).ok()) return;
    Log("release", &h, "mailtee", "", "", "timer", "deadline passed");
    Release(h);
    return;
  }
  if (!queue_->Transition(h.id, HoldState::kPending, HoldState::kExpired, &note, "", &h).ok()) return;
  Log("expire", &h, "mailtee", "", "", "timer", "");
  Notify(h);
}

void ApprovalService::Release(const HeldMessage& held) {
  if (in_flight_.count(held.id)) return;
  const RelayAccount* account = config_.RelayAccountFor(held.sender);
  RelayTarget target = options_.relay;
  if (account) {
    target.user = account->user;
    target.password = account->password;
  }
  in_flight_.insert(held.id);
  HeldMessage counted = held;
  counted.relay_attempts++;
  queue_->Put(counted);  // an attempt that crashes mid-way still counts
  RelayMessage m{held.sender, held.recipients, "", queue_->MessagePath(held.id), ""};
  std::weak_ptr<bool> alive = alive_;
  const std::string id = held.id;
  RelayMessageUpstream(options_.loop, target, std::move(m), [this, alive, id](const RelayResult& r) {
    if (alive.expired()) return;
    in_flight_.erase(id);
    HeldMessage h;
    bool found = false;
    if (!queue_->Get(id, &h, &found).ok() || !found) return;
    if (r.status.ok()) {
      std::string result = std::to_string(r.code) + " " + r.reply;
      if (!r.refused_recipients.empty()) result += " (refused: " + Join(r.refused_recipients, ",") + ")";
      if (!queue_->Transition(id, HoldState::kApproved, HoldState::kRelayed, nullptr, result, &h).ok()) return;
      Log("relayed", &h, "mailtee", "", "", "smtp", result);
      Notify(h);
      return;
    }
    h.relay_result = r.status.message();
    Log("relay-failed", &h, "mailtee", "", "", "smtp", r.status.message());
    if (r.permanent || h.relay_attempts >= options_.max_relay_attempts) {
      h.relay_attempts = options_.max_relay_attempts;  // stop retrying; an admin must act
      queue_->Put(h);
      NotifySender(h, OutcomeKind::kRelayFailed);
    } else {
      queue_->Put(h);  // retried by the next sweep
    }
  });
}

void ApprovalService::Notify(const HeldMessage& held) {
  HeldMessage h = held;
  std::string last_actor;
  for (auto it = h.decisions.rbegin(); it != h.decisions.rend(); ++it) {
    if (it->action == "approve" || it->action == "reject") {
      last_actor = it->on_behalf_of.empty() ? it->approver : it->on_behalf_of;
      break;
    }
  }
  std::vector<std::string> everyone = h.approvers;
  if (options_.on_final && h.state != HoldState::kPending && h.state != HoldState::kApproved) options_.on_final(h);
  switch (h.state) {
    case HoldState::kRelayed:
      NotifySender(h, OutcomeKind::kApproved);
      if (!OthersThan(h, last_actor).empty()) {
        Send(notices_.OutcomeNotice(h, OutcomeKind::kApproved, OthersThan(h, last_actor)), h.id);
      }
      break;
    case HoldState::kRejected:
      NotifySender(h, OutcomeKind::kRejected);
      if (!OthersThan(h, last_actor).empty()) {
        Send(notices_.OutcomeNotice(h, OutcomeKind::kRejected, OthersThan(h, last_actor)), h.id);
      }
      break;
    case HoldState::kExpired:
      NotifySender(h, OutcomeKind::kExpired);
      Send(notices_.OutcomeNotice(h, OutcomeKind::kExpired, everyone), h.id);
      break;
    case HoldState::kWithdrawn:
      Send(notices_.OutcomeNotice(h, OutcomeKind::kWithdrawn, everyone), h.id);
      break;
    default: return;
  }
  h.outcome_notified = true;
  queue_->Put(h);
}

// ---- mail commands ---------------------------------------------------------------

std::string ApprovalService::HandleMailCommand(const smtp::HoldEnvelope& env, std::string_view message) {
  const std::string actor = NormalizeAddress(env.login);
  if (actor.empty() || !IsPlainAddress(actor)) {
    Log("refused", nullptr, env.envelope_from, "", env.client_ip, "mail",
        "approval command without an authenticated mail-address login");
    return "530 5.7.0 approval commands need your own authenticated login";
  }
  const MailCommand c = ParseMailCommand(message);
  using Kind = MailCommand::Kind;
  switch (c.kind) {
    case Kind::kNone:
      return "501 5.5.4 " + c.error;
    case Kind::kApprove:
    case Kind::kReject: {
      // The token names its action; a reject command with an approve token is refused.
      TokenClaims claims;
      if (signer_->Verify(c.token, std::chrono::system_clock::time_point(std::chrono::seconds(Now())), &claims).ok() &&
          (claims.action == TokenAction::kApprove) != (c.kind == Kind::kApprove)) {
        Log("refused", nullptr, actor, "", env.client_ip, "mail", "command and token disagree on the action");
        return "550 5.7.1 this token is for '" + std::string(ToString(claims.action)) + "'";
      }
      ActionResult r = ActWithToken(c.token, env.client_ip, "mail", c.reason, actor);
      return r.status.ok() ? "250 2.0.0 " + r.message : "550 5.7.1 " + r.status.message();
    }
    case Kind::kWithdraw: {
      ActionResult r = Withdraw(c.held_id, actor, env.client_ip, "mail");
      return r.status.ok() ? "250 2.0.0 " + r.message : "550 5.7.1 " + r.status.message();
    }
    case Kind::kWaitlist: {
      std::vector<HeldMessage> pending;
      const HoldState state = HoldState::kPending;
      if (!queue_->List(&pending, &state).ok()) return "451 4.3.0 hold queue unavailable";
      std::string ja, en;
      int n = 0;
      for (const HeldMessage& h : pending) {
        std::string behalf;
        if (!queue_->Authorize(h, actor, Now(), &behalf).ok() || h.DecidedBy(behalf.empty() ? actor : behalf)) continue;
        if (!CheckSeparationOfDuties(h, Decision{actor, behalf, "approve", Now(), "", "", ""}).ok()) continue;
        ++n;
        const std::string approve = signer_->Issue({h.id, actor, TokenAction::kApprove, h.expires_at});
        const std::string reject = signer_->Issue({h.id, actor, TokenAction::kReject, h.expires_at});
        const std::string item = "* " + h.id + "  " + h.sender + " -> " + Join(h.recipients, ", ") + "\n  " + h.subject +
                                 "\n  " + h.rule + "\n  approve: " + notices_.MailtoFor("approve " + approve) +
                                 "\n  reject:  " + notices_.MailtoFor("reject " + reject) +
                                 (notices_.LinkFor(approve).empty() ? "" : "\n  web: " + notices_.LinkFor(approve)) + "\n";
        ja += item;
        en += item;
      }
      Send(notices_.CommandReply(actor, "waitlist (" + std::to_string(n) + ")",
                                 "承認待ち: " + std::to_string(n) + " 件\n\n" + ja,
                                 "Waiting for you: " + std::to_string(n) + "\n\n" + en),
           "");
      Log("waitlist", nullptr, actor, "", env.client_ip, "mail", std::to_string(n) + " pending");
      return "250 2.0.0 waitlist (" + std::to_string(n) + " pending) sent to " + actor;
    }
    case Kind::kSetProxy: {
      Delegation d{actor, c.proxy, 0};
      if (!c.until_date.empty() && !EndOfLocalDay(c.until_date, &d.until)) return "501 5.5.4 bad date";
      Status s = queue_->SetDelegation(d);
      if (!s.ok()) return "550 5.7.1 " + s.message();
      Log("delegate", nullptr, actor, "", env.client_ip, "mail",
          "proxy " + c.proxy + (c.until_date.empty() ? "" : " until " + c.until_date));
      return "250 2.0.0 " + c.proxy + " now approves for you" + (c.until_date.empty() ? "" : " until " + c.until_date);
    }
    case Kind::kClearProxy: {
      Status s = queue_->ClearDelegation(actor);
      if (!s.ok()) return "451 4.3.0 " + s.message();
      Log("undelegate", nullptr, actor, "", env.client_ip, "mail", "");
      return "250 2.0.0 proxy approver cleared";
    }
    case Kind::kHistory: {
      std::vector<HeldMessage> all;
      if (!queue_->List(&all).ok()) return "451 4.3.0 hold queue unavailable";
      const int64_t since = Now() - int64_t{86400} * c.days;
      std::string text;
      int n = 0;
      for (const HeldMessage& h : all) {
        for (const Decision& d : h.decisions) {
          if (d.at < since || (d.approver != actor && d.on_behalf_of != actor)) continue;
          ++n;
          text += FormatNoticeTime(d.at) + "  " + d.action + "  " + h.id + "  " + h.sender + " -> " +
                  Join(h.recipients, ", ") + "  " + h.subject + "\n";
        }
      }
      Send(notices_.CommandReply(actor, "history (" + std::to_string(c.days) + " days)",
                                 "過去 " + std::to_string(c.days) + " 日の判断: " + std::to_string(n) + " 件\n\n" + text,
                                 "Your decisions in the last " + std::to_string(c.days) + " days: " + std::to_string(n) +
                                     "\n\n" + text),
           "");
      return "250 2.0.0 history (" + std::to_string(n) + " decisions) sent to " + actor;
    }
  }
  return "500 5.5.2 internal error";
}

}  // namespace mailtee::approval
