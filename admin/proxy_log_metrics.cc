#include "admin/proxy_log_metrics.h"

#include <cstdlib>

namespace mailtee::admin {
namespace {

constexpr char kMessagesHelp[] = "Messages by outcome: relayed, held (for approval), refused (by the provider), failed, unknown (no verdict), archived (POP3 retrieval)";
constexpr char kErrorsHelp[] = "Errors: archive failures, failed messages, system errors";
constexpr char kBytesHelp[] = "Message bytes received (SMTP) or retrieved and archived (POP3)";
constexpr char kTlsHelp[] = "Client TLS handshakes (see docs/admin.md for what is counted)";
constexpr char kAuthHelp[] = "Client logins relayed to the provider";
constexpr char kRejectedHelp[] = "Client connections refused: busy (limits, shutting down), not_allowed, no_provider";

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }
bool Contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }

// Splits off the first space-separated token.
std::string_view TakeToken(std::string_view* s) {
  size_t space = s->find(' ');
  std::string_view token = s->substr(0, space);
  *s = space == std::string_view::npos ? std::string_view() : s->substr(space + 1);
  return token;
}

uint64_t ToNumber(std::string_view digits) {
  uint64_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') break;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

// "smtp/<listener>#<serial> rest" (session) or "smtp/<listener> rest" (listener).
bool ParseSmtp(std::string_view line, ProxyLogLine* out) {
  std::string_view rest = line.substr(5);
  std::string_view tag = TakeToken(&rest);
  size_t hash = tag.rfind('#');
  out->protocol = "smtp";
  out->in_session = hash != std::string_view::npos;
  out->listener = std::string(out->in_session ? tag.substr(0, hash) : tag);
  out->rest = rest;
  return !out->listener.empty();
}

// "pop3 listener=<name> client=<ip> user=<login> rest" (session) or
// "pop3 listener=<name> client=<ip> rejected: ..." (listener).
bool ParsePop3(std::string_view line, ProxyLogLine* out) {
  std::string_view rest = line.substr(5);
  std::string_view listener = TakeToken(&rest);
  std::string_view client = TakeToken(&rest);
  if (!StartsWith(listener, "listener=") || !StartsWith(client, "client=")) return false;
  out->protocol = "pop3";
  out->listener = std::string(listener.substr(9));
  out->in_session = StartsWith(rest, "user=");
  if (out->in_session) TakeToken(&rest);
  out->rest = rest;
  return !out->listener.empty();
}

// "listener=<name> client=<ip> refused: no provider configured" (proxy/daemon).
bool ParseNoProvider(std::string_view line, ProxyLogLine* out) {
  std::string_view rest = line;
  std::string_view listener = TakeToken(&rest);
  std::string_view client = TakeToken(&rest);
  if (!StartsWith(client, "client=")) return false;
  out->protocol = "";
  out->listener = std::string(listener.substr(9));
  out->in_session = false;
  out->rest = rest;
  return !out->listener.empty();
}

bool LooksLikeError(std::string_view line) {
  for (std::string_view word : {"FAILED", "failed", "unavailable", "cannot", "WARNING", "error"}) {
    if (Contains(line, word)) return true;
  }
  return false;
}

MetricLabels ListenerLabels(const ProxyLogLine& p) {
  MetricLabels labels{{"listener", p.listener}};
  if (!p.protocol.empty()) labels.emplace_back("protocol", p.protocol);
  return labels;
}

MetricLabels With(MetricLabels labels, const char* name, std::string value) {
  labels.emplace_back(name, std::move(value));
  return labels;
}

}  // namespace

bool ParseProxyLogLine(std::string_view line, ProxyLogLine* out) {
  *out = ProxyLogLine();
  if (StartsWith(line, "smtp/")) return ParseSmtp(line, out);
  if (StartsWith(line, "pop3 listener=")) return ParsePop3(line, out);
  if (StartsWith(line, "listener=")) return ParseNoProvider(line, out);
  return false;
}

std::string_view LogField(std::string_view text, std::string_view key) {
  size_t at = 0;
  while (true) {
    at = text.find(key, at);
    if (at == std::string_view::npos) return {};
    bool at_word_start = at == 0 || text[at - 1] == ' ';
    size_t value = at + key.size();
    if (at_word_start && value < text.size() && text[value] == '=') {
      std::string_view rest = text.substr(value + 1);
      return rest.substr(0, rest.find(' '));
    }
    at = value;
  }
}

void ProxyLogMetrics::Inc(const std::string& name, const std::string& help, const MetricLabels& labels,
                          uint64_t delta) {
  metrics_->GetCounter(name, help, labels)->Increment(delta);
}

void ProxyLogMetrics::ObserveApproval(const approval::ApprovalEvent& e) {
  // The events ApprovalService writes (approval_log.h); anything else is
  // "other", so a label value never comes from outside the code.
  static constexpr const char* kEvents[] = {"held",     "approve",      "reject",     "withdraw",   "expire",
                                            "escalate", "release",      "relayed",    "relay-failed",
                                            "refused",  "delegate",     "undelegate", "notice-failed", "waitlist"};
  std::string event = "other";
  for (const char* known : kEvents) {
    if (e.event == known) event = known;
  }
  Inc("mailtee_approval_events_total",
      "Approval hold events: held, approve, reject, withdraw, expire, escalate, release, relayed, relay-failed, "
      "refused, delegate, undelegate, notice-failed, waitlist",
      {{"event", event}});
  if (event == "relayed" && !e.listener.empty()) {
    Inc("mailtee_messages_total", kMessagesHelp, {{"listener", e.listener}, {"protocol", "smtp"}, {"outcome", "relayed"}});
  }
}

void ProxyLogMetrics::Observe(archive::LogKind kind, std::string_view line) {
  Inc("mailtee_log_lines_total", "Lines written to the daily logs, by kind",
      {{"kind", archive::LogKindName(kind)}});
  if (kind == archive::LogKind::kSystem) {
    OnSystem(line);
    return;
  }
  ProxyLogLine p;
  if (!ParseProxyLogLine(line, &p)) return;
  switch (kind) {
    case archive::LogKind::kConnections:
      OnConnection(p);
      break;
    case archive::LogKind::kReceived:  // SMTP: the whole message came from the client
      Inc("mailtee_messages_received_total", "Messages received from clients (SMTP end of data)",
          ListenerLabels(p));
      Inc("mailtee_message_bytes_total", kBytesHelp,
          ListenerLabels(p), ToNumber(LogField(p.rest, "size")));
      break;
    case archive::LogKind::kRelayed:
      // A message held for approval is logged here too ("id=... held for approval ..."): it has not gone out.
      Inc("mailtee_messages_total", kMessagesHelp,
          With(ListenerLabels(p), "outcome", Contains(p.rest, " held for approval ") ? "held" : "relayed"));
      break;
    case archive::LogKind::kFailed:
      if (p.protocol == "pop3") {  // a retrieval the archive could not keep
        Inc("mailtee_messages_total", kMessagesHelp, With(ListenerLabels(p), "outcome", "failed"));
        Inc("mailtee_errors_total", kErrorsHelp, ListenerLabels(p));
      } else {
        OnSmtpFailed(p);
      }
      break;
    case archive::LogKind::kPop3:
      OnPop3(p);
      break;
    default:
      break;
  }
}

void ProxyLogMetrics::OnConnection(const ProxyLogLine& p) {
  const MetricLabels labels = ListenerLabels(p);
  const std::string_view rest = p.rest;
  if (!p.in_session) {
    // Listener-level lines are all refusals: "reject", "rejected: ...", "refused: no provider configured".
    const char* reason = Contains(rest, "no provider") ? "no_provider" : "busy";
    // A rate-limited refusal line (net::RefusalLog) stands for "more" others too.
    Inc("mailtee_connections_rejected_total", kRejectedHelp, With(labels, "reason", reason),
        1 + ToNumber(LogField(rest, "more")));
    return;
  }
  if (StartsWith(rest, "accept")) {
    Inc("mailtee_sessions_total", "Client sessions accepted", labels);
    return;
  }
  if (StartsWith(rest, "client TLS ")) {  // POP3 STLS completed
    Inc("mailtee_tls_handshakes_total", kTlsHelp,
        With(labels, "result", "ok"));
    return;
  }
  if (StartsWith(rest, "auth ")) {
    bool ok = LogField(rest, "result") == "ok";
    Inc("mailtee_auth_total", kAuthHelp, With(labels, "result", ok ? "ok" : "failed"));
    return;
  }
  bool ok = StartsWith(rest, "ok ");
  if (!ok && !StartsWith(rest, "abort ")) return;
  Inc("mailtee_sessions_ended_total", "Client sessions ended: ok (QUIT) or abort",
      With(labels, "result", ok ? "ok" : "abort"));
  if (ok && p.protocol == "smtp") {
    // SMTP logs its TLS state once, when the session ends with QUIT.
    std::string_view tls = LogField(rest, "tls");
    if (!tls.empty() && tls != "none") {
      Inc("mailtee_tls_handshakes_total", kTlsHelp,
          With(labels, "result", "ok"));
    }
  }
  if (!ok && Contains(rest, "TLS handshake")) {
    Inc("mailtee_tls_handshakes_total", kTlsHelp, With(labels, "result", "failed"));
  }
  if (!ok && (Contains(rest, " unreachable") || Contains(rest, "reason=provider timeout"))) {
    // The provider could not be reached or stopped answering: worth an alert.
    Inc("mailtee_upstream_failures_total", "Sessions ended because the provider was unreachable or timed out",
        labels);
    Inc("mailtee_errors_total", kErrorsHelp, labels);
  }
  // SMTP writes reason=not in allow list, POP3 reason="not in allow list".
  if (!ok && (Contains(rest, "reason=not in allow list") || Contains(rest, "reason=\"not in allow list\""))) {
    Inc("mailtee_connections_rejected_total", kRejectedHelp, With(labels, "reason", "not_allowed"));
  }
}

// SMTP "failed" lines: the provider's refusal (reply=...), a transaction the
// proxy aborted ("(not relayed: ...)"), or no verdict after the end of data.
void ProxyLogMetrics::OnSmtpFailed(const ProxyLogLine& p) {
  const char* outcome = "failed";
  if (Contains(p.rest, " verdict unknown: ")) outcome = "unknown";
  else if (Contains(p.rest, "(not relayed: ")) outcome = "failed";
  else if (Contains(p.rest, " upstream=") && Contains(p.rest, " reply=")) outcome = "refused";
  Inc("mailtee_messages_total", kMessagesHelp, With(ListenerLabels(p), "outcome", outcome));
  if (std::string_view(outcome) != "refused") {
    Inc("mailtee_errors_total", kErrorsHelp, ListenerLabels(p));
  }
}

void ProxyLogMetrics::OnPop3(const ProxyLogLine& p) {
  const MetricLabels labels = ListenerLabels(p);
  size_t archived = p.rest.find(" archived as ");
  if (archived != std::string_view::npos) {
    Inc("mailtee_messages_total", kMessagesHelp, With(labels, "outcome", "archived"));
    size_t open = p.rest.find(" (", archived);
    if (open != std::string_view::npos) {
      Inc("mailtee_message_bytes_total", kBytesHelp, labels,
          ToNumber(p.rest.substr(open + 2)));
    }
    return;
  }
  if (p.rest == "login ok") {
    Inc("mailtee_auth_total", kAuthHelp, With(labels, "result", "ok"));
  } else if (StartsWith(p.rest, "refused \"") || StartsWith(p.rest, "SASL response refused")) {
    Inc("mailtee_commands_refused_total", "Client commands the proxy refused (malformed, control characters)",
        labels);
  }
}

void ProxyLogMetrics::OnSystem(std::string_view line) {
  // Admin audit lines ("admin: user=x ... login failed") are people, not faults.
  if (StartsWith(line, "admin: ") || !LooksLikeError(line)) return;
  ProxyLogLine p;
  MetricLabels labels;
  if (ParseProxyLogLine(line, &p)) labels = ListenerLabels(p);
  Inc("mailtee_errors_total", kErrorsHelp, labels);
}

}  // namespace mailtee::admin
