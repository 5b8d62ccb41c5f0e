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
  std::vector<Retrieval> retrievals;     // POP3
  std::string outcome;                   // "relayed" | "refused" | "unknown" | "held" | "fetched"
  int outcome_code = 0;
  std::string outcome_reply;             // provider's reply verbatim
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
