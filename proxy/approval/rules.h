// Hold rules: which outgoing message waits for a supervisor's approval.
// First match wins, where a rule matches when its sender pattern matches AND
// its condition holds; a matching when="never" rule is an exception that lets
// the mail pass. No matching rule: the mail passes.
//
// Whose rules: the sender pattern is matched against the login whenever the
// session has one (identity.h: a bare login matches a pattern's local part),
// never against the client-chosen MAIL FROM. Without a login (auth="account"
// or "none") it is the envelope sender, AND every header From address is
// evaluated too: the stricter result wins (hold beats pass; of several holds,
// the rule that comes first in the config).
//
// Internal mail: when <internal> domains are configured and every recipient is
// inside them, only when="always" rules can hold (attachments, keywords and
// domain rules are about what leaves the office).
#pragma once

#include <string>
#include <vector>

#include "proxy/approval/approval_config.h"

namespace mailtee::approval {

struct MessageFacts {
  std::string sender;                     // whom the rules are about: the login, else the envelope MAIL FROM
  std::vector<std::string> header_from;   // without a login only: header From addresses, also evaluated
  std::vector<std::string> recipients;    // envelope RCPT TO
  std::string subject;                    // decoded UTF-8
  std::vector<std::string> attachment_names;
  int attachment_count = 0;               // names may be empty; the count is what matters
  std::string body_sample;                // the text/plain body as UTF-8 (body_text.h), for match="body"
};

struct HoldDecision {
  bool hold = false;
  int rule_index = -1;                    // into ApprovalConfig::rules; -1 when no rule matched
  std::string rule;                       // Rule::Describe(), or "" when none matched
  std::string reason;                     // "attachment: a.pdf", "keyword: 見積", "recipient outside company.example"
  std::vector<std::string> approvers;
  int quorum = 1;
};

HoldDecision Evaluate(const ApprovalConfig& config, const MessageFacts& facts);

// What the envelope alone says, before any message byte is seen (lets the SMTP
// session skip screening, or skip relaying DATA upstream for a certain hold).
// header_from_counts: the session has no login, so a header From not yet seen
// may still hold a message the sender passes (kDependsOnContent then).
enum class EnvelopeOutlook { kPass, kHold, kDependsOnContent };
EnvelopeOutlook PreviewEnvelope(const ApprovalConfig& config, const std::string& sender,
                                const std::vector<std::string>& recipients, bool header_from_counts);

bool IsInternalRecipient(const ApprovalConfig& config, const std::string& address);

// ASCII-case-insensitive substring test (UTF-8 bytes compared as they are).
bool ContainsKeyword(const std::string& haystack, const std::string& keyword);

}  // namespace mailtee::approval
