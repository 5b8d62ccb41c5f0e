// ProxyLogMetrics: the /metrics counters of the mail proxies, derived from the
// lines they write to the LogBook. proxy/ must not depend on admin/, and every
// connection, message and failure already passes through the LogBook with its
// kind and its fields (docs/admin.md "Metrics"), so the admin console observes
// the LogBook instead of asking the proxies to increment counters.
//
//   admin::ProxyLogMetrics counts(&metrics);
//   int id = log->AddObserver([&](archive::LogKind k, std::string_view l) { counts.Observe(k, l); });
//   ...
//   log->RemoveObserver(id);   // before `counts` goes away
//   (the same with approval::ApprovalLog::AddObserver and ObserveApproval)
//
// The line formats are those of proxy/smtp (session tag "smtp/<listener>#<n>"),
// proxy/pop3 ("pop3 listener=<name> client=<ip> user=<login>") and
// proxy/daemon ("listener=<name> client=<ip> refused|rejected: ...");
// tests/unit/admin/proxy_log_metrics_test.cc pins them. A line that matches
// nothing is still counted in mailtee_log_lines_total{kind}.
#pragma once

#include <string>
#include <string_view>

#include "admin/metrics.h"
#include "archive/log_book.h"
#include "proxy/approval/approval_log.h"

namespace mailtee::admin {

// Who wrote a proxy log line and what follows the prefix.
struct ProxyLogLine {
  std::string protocol;   // "smtp", "pop3", or "" (listener without a provider)
  std::string listener;
  bool in_session = false;  // written by a session (vs the listener: rejections)
  std::string_view rest;    // the line after the prefix
};

// False for lines that are not from a proxy listener (daemon start-up, admin, ...).
bool ParseProxyLogLine(std::string_view line, ProxyLogLine* out);

// Value of " key=value" (up to the next space) in text; "" when absent.
std::string_view LogField(std::string_view text, std::string_view key);

class ProxyLogMetrics {
 public:
  explicit ProxyLogMetrics(Metrics* metrics) : metrics_(metrics) {}
  // Thread-safe (Metrics is); called by the LogBook on the writing thread.
  void Observe(archive::LogKind kind, std::string_view line);
  // Approval events (approval::ApprovalLog observer; the approval log is not a
  // LogBook kind): mailtee_approval_events_total{event}, and a held message
  // released to the provider as mailtee_messages_total{outcome="relayed"} of
  // the listener that held it (it was counted there as outcome="held").
  void ObserveApproval(const approval::ApprovalEvent& event);

 private:
  void Inc(const std::string& name, const std::string& help, const MetricLabels& labels, uint64_t delta = 1);
  void OnConnection(const ProxyLogLine& p);
  void OnSmtpFailed(const ProxyLogLine& p);
  void OnPop3(const ProxyLogLine& p);
  void OnSystem(std::string_view line);

  Metrics* metrics_;
};

}  // namespace mailtee::admin
