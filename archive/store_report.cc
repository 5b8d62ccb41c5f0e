#include "archive/store_report.h"

namespace mailtee::archive {

const std::string& ArchiveUser(const MessageContext& context) {
  return context.user.empty() ? context.envelope_from : context.user;
}

Retrieval RetrievalOf(const SpoolMeta& meta) {
  return Retrieval{FormatIsoTime(meta.context.received_at), meta.context.client_ip, meta.id};
}

Report BuildStoreReport(const SpoolMeta& meta, const MessageSummary& summary) {
  const MessageContext& c = meta.context;
  const bool received = c.direction == Direction::kReceived;
  Report r;
  r.id = meta.id;
  r.direction = received ? "received" : "sent";
  r.protocol = c.protocol;
  r.listener = c.listener;
  r.user = ArchiveUser(c);
  r.client_ip = c.client_ip;
  r.received_at = FormatIsoTime(c.received_at);
  if (meta.has_outcome && meta.outcome.relayed_at.time_since_epoch().count() != 0)
    r.relayed_at = FormatIsoTime(meta.outcome.relayed_at);
  r.envelope_from = c.envelope_from;
  r.envelope_to = c.envelope_to;
  r.bcc = ComputeBcc(c.envelope_to, summary);
  r.summary = summary;
  r.uidl = c.uidl;
  if (received) r.retrievals.push_back(RetrievalOf(meta));
  switch (PhaseForOutcome(meta.outcome.kind)) {
    case SpoolPhase::kRefused: r.outcome = "refused"; break;
    case SpoolPhase::kHeld: r.outcome = "held"; break;
    case SpoolPhase::kUnknown: r.outcome = "unknown"; break;
    default: r.outcome = received ? "fetched" : "relayed"; break;
  }
  r.outcome_code = meta.outcome.code;
  r.outcome_reply = meta.outcome.reply;
  return r;
}

}  // namespace mailtee::archive
