// ProxyLogMetrics: the /metrics counters of the mail proxies, counted from
// the SessionEvents they record in the LogBook (archive/session_event.h).
// proxy/ must not depend on admin/, and every connection, message and failure
// already passes through the LogBook, so the admin console observes it
// instead of asking the proxies to increment counters. Counters read the
// event's fields, never the log text (a client-chosen login or reason could
// say anything there); docs/admin.md "Metrics".
//
//   admin::ProxyLogMetrics counts(&metrics);
//   int id = log->AddObserver([&](archive::LogKind k, std::string_view l, const archive::SessionEvent* e) {
//     counts.Observe(k, l, e);
//   });
//   ...
//   log->RemoveObserver(id);   // before `counts` goes away
//   (the same with approval::ApprovalLog::AddObserver and ObserveApproval)
//
// Every line is counted in mailtee_log_lines_total{kind}. System lines written
// without an event (daemon, archive, admin internals) count as errors when
// they say so (FAILED, WARNING, cannot, ...).
#pragma once

#include <string>
#include <string_view>

#include "admin/metrics.h"
#include "archive/log_book.h"
#include "archive/session_event.h"
#include "proxy/approval/approval_log.h"

namespace mailtee::admin {

class ProxyLogMetrics {
 public:
  explicit ProxyLogMetrics(Metrics* metrics) : metrics_(metrics) {}
  // Thread-safe (Metrics is); called by the LogBook on the writing thread.
  // event: the SessionEvent the line renders, null for a plain line.
  void Observe(archive::LogKind kind, std::string_view line, const archive::SessionEvent* event);
  // Approval events (approval::ApprovalLog observer; the approval log is not a
  // LogBook kind): mailtee_approval_events_total{event}, and a held message
  // released to the provider as mailtee_messages_total{outcome="relayed"} of
  // the listener that held it (it was counted there as outcome="held").
  void ObserveApproval(const approval::ApprovalEvent& event);

 private:
  void Inc(const std::string& name, const std::string& help, const MetricLabels& labels, uint64_t delta = 1);
  void OnEvent(const archive::SessionEvent& e);
  void OnSessionEnded(const archive::SessionEvent& e, const MetricLabels& labels);
  void OnSystem(std::string_view line);

  Metrics* metrics_;
};

}  // namespace mailtee::admin
