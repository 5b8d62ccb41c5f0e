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

bool LooksLikeError(std::string_view line) {
  for (std::string_view word : {"FAILED", "failed", "unavailable", "cannot", "WARNING", "error"}) {
    if (Contains(line, word)) return true;
  }
  return false;
}

MetricLabels ListenerLabels(const archive::SessionEvent& e) {
  MetricLabels labels{{"listener", e.listener}};
  if (!e.protocol.empty()) labels.emplace_back("protocol", e.protocol);
  return labels;
}

MetricLabels With(MetricLabels labels, const char* name, std::string value) {
  labels.emplace_back(name, std::move(value));
  return labels;
}

}  // namespace

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

void ProxyLogMetrics::Observe(archive::LogKind kind, std::string_view line, const archive::SessionEvent* event) {
  Inc("mailtee_log_lines_total", "Lines written to the daily logs, by kind",
      {{"kind", archive::LogKindName(kind)}});
  if (event != nullptr) {
    OnEvent(*event);
  } else if (kind == archive::LogKind::kSystem) {
    OnSystem(line);
  }
}

void ProxyLogMetrics::OnEvent(const archive::SessionEvent& e) {
  using Type = archive::SessionEvent::Type;
  using Cause = archive::SessionEvent::Cause;
  const MetricLabels labels = ListenerLabels(e);
  auto message = [&](const char* outcome) {
    Inc("mailtee_messages_total", kMessagesHelp, With(labels, "outcome", outcome));
  };
  auto error = [&] { Inc("mailtee_errors_total", kErrorsHelp, labels); };
  switch (e.type) {
    case Type::kNote:
      break;
    case Type::kRejected:
      Inc("mailtee_connections_rejected_total", kRejectedHelp,
          With(labels, "reason", e.cause == Cause::kNoProvider ? "no_provider" : "busy"), e.count);
      break;
    case Type::kAccepted:
      Inc("mailtee_sessions_total", "Client sessions accepted", labels);
      break;
    case Type::kTlsOk:
      Inc("mailtee_tls_handshakes_total", kTlsHelp, With(labels, "result", "ok"));
      break;
    case Type::kAuthOk:
    case Type::kAuthFailed:
      Inc("mailtee_auth_total", kAuthHelp, With(labels, "result", e.type == Type::kAuthOk ? "ok" : "failed"));
      break;
    case Type::kEndedOk:
    case Type::kEndedAbort:
      OnSessionEnded(e, labels);
      break;
    case Type::kReceived:  // SMTP: the whole message came from the client
      Inc("mailtee_messages_received_total", "Messages received from clients (SMTP end of data)", labels);
      Inc("mailtee_message_bytes_total", kBytesHelp, labels, e.bytes);
      break;
    case Type::kRelayed:
      message("relayed");
      break;
    case Type::kHeld:  // not gone out yet: ObserveApproval counts its release as relayed
      message("held");
      break;
    case Type::kRefused:  // the provider's decision, not a fault here
      message("refused");
      break;
    case Type::kFailed:
      message("failed");
      error();
      break;
    case Type::kUnknown:
      message("unknown");
      error();
      break;
    case Type::kArchived:  // POP3 retrieval
      message("archived");
      Inc("mailtee_message_bytes_total", kBytesHelp, labels, e.bytes);
      break;
    case Type::kCommandRefused:
      Inc("mailtee_commands_refused_total", "Client commands the proxy refused (malformed, control characters)",
          labels);
      break;
    case Type::kError:
      error();
      break;
  }
}

void ProxyLogMetrics::OnSessionEnded(const archive::SessionEvent& e, const MetricLabels& labels) {
  using Cause = archive::SessionEvent::Cause;
  const bool ok = e.type == archive::SessionEvent::Type::kEndedOk;
  Inc("mailtee_sessions_ended_total", "Client sessions ended: ok (QUIT) or abort",
      With(labels, "result", ok ? "ok" : "abort"));
  // SMTP reports its client TLS once, when the session ends with QUIT.
  if (ok && e.tls) Inc("mailtee_tls_handshakes_total", kTlsHelp, With(labels, "result", "ok"));
  switch (e.cause) {
    case Cause::kTlsHandshake:
      Inc("mailtee_tls_handshakes_total", kTlsHelp, With(labels, "result", "failed"));
      break;
    case Cause::kProvider:  // unreachable or stopped answering: worth an alert
      Inc("mailtee_upstream_failures_total", "Sessions ended because the provider was unreachable or timed out",
          labels);
      Inc("mailtee_errors_total", kErrorsHelp, labels);
      break;
    case Cause::kNotAllowed:
      Inc("mailtee_connections_rejected_total", kRejectedHelp, With(labels, "reason", "not_allowed"));
      break;
    case Cause::kNone:
    case Cause::kBusy:
    case Cause::kNoProvider:
      break;
  }
}

// A system line without an event: the daemon's, the archive's or the admin
// console's own words (no session wrote it), so an error is recognised by them.
void ProxyLogMetrics::OnSystem(std::string_view line) {
  // Admin audit lines ("admin: user=x ... login failed") are people, not faults.
  if (StartsWith(line, "admin: ") || !LooksLikeError(line)) return;
  Inc("mailtee_errors_total", kErrorsHelp, {});
}

}  // namespace mailtee::admin
