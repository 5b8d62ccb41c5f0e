// The report file written next to each archived .eml: <id>.xml. Its element
// names are a contract with admins' tools (see docs/report-format.md).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "archive/message_summary.h"
#include "config/status.h"

namespace mailtee::archive {

struct Retrieval {
  std::string at;          // ISO 8601 with offset
  std::string client_ip;
  // The archive id the fetch was captured under: unique per fetch, also for
  // two in the same millisecond. "" in reports written before it was kept.
  std::string id;
  bool operator==(const Retrieval&) const = default;
};

// One step of an approval hold (docs/approval.md): who decided what, when,
// from where. Written into the report of a held message once the hold ends.
struct ApprovalStep {
  std::string action;        // "approve" | "reject" | "withdraw" | "expire" | "escalate" | "release"
  std::string by;            // who acted (an approver, the sender, "mailtee")
  std::string on_behalf_of;  // the rule's approver when their proxy acted; else ""
  std::string at;            // ISO 8601 with offset
  std::string client_ip;
  std::string via;           // "web" | "mail" | "cli" | "timer"
  std::string reason;
  bool operator==(const ApprovalStep&) const = default;
};

struct ApprovalTrail {
  std::string rule;          // the rule that held the message ("rule at line 4: ...")
  std::string held_at;       // ISO 8601 with offset
  std::vector<ApprovalStep> steps;
  bool empty() const { return rule.empty() && held_at.empty() && steps.empty(); }
};

struct Report {
  std::string id;
  std::string direction;   // "sent" | "received"
  std::string protocol;    // "smtp" | "pop3"
  std::string listener, user, client_ip;
  std::string received_at, relayed_at;   // ISO 8601 with offset; relayed_at empty if never
  std::string envelope_from;
  std::vector<std::string> envelope_to;
  std::vector<std::string> bcc;          // envelope_to not in To/Cc (computed by ComputeBcc)
  MessageSummary summary;                // from/to/cc/subject/message-id/date/size/sha256/attachments
  std::string uidl;                      // POP3
  // POP3: the first retrieval and the most recent ones. Every later fetch is
  // a record in the retrieval journal beside the report, and is folded into
  // the report in batches (retrieval_journal.h); a report lists at most
  // kReportListedRetrievals, and retrieval_count counts all folded ones.
  std::vector<Retrieval> retrievals;
  uint64_t retrieval_count = 0;          // 0: as many as listed (no journal yet)
  uint64_t retrieval_journal_bytes = 0;  // journal bytes folded into this report
  std::string retrieval_journal_chain;   // hash chain over the folded records (verify)
  std::string outcome;                   // "relayed" | "refused" | "unknown" | "held" | "fetched"
                                         // | "rejected" | "expired" | "withdrawn" (held mail, see approval)
  int outcome_code = 0;
  std::string outcome_reply;             // provider's reply verbatim
  // Held mail (SMTP approval): after the hold ends, outcome becomes "relayed",
  // "rejected", "expired" or "withdrawn" and this trail is filled in
  // (report_outcome.h). Empty otherwise, and then not written at all.
  ApprovalTrail approval;
};

// bcc = envelope recipients whose address (case-insensitive, local part kept)
// appears in neither To nor Cc.
std::vector<std::string> ComputeBcc(const std::vector<std::string>& envelope_to,
                                    const MessageSummary& summary);

std::string RenderReportXml(const Report& report);
Status ParseReportXml(const std::string& xml, Report* report);

// "2026-11-24T16:20:24.123+09:00" in the machine's local zone.
std::string FormatIsoTime(std::chrono::system_clock::time_point t);

}  // namespace mailtee::archive
