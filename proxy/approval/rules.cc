#include "proxy/approval/rules.h"

#include <algorithm>
#include <cctype>

#include "proxy/approval/address_pattern.h"
#include "proxy/approval/identity.h"

namespace mailtee::approval {
namespace {

bool AllInternal(const ApprovalConfig& config, const std::vector<std::string>& recipients) {
  if (config.internal_domains.empty() || recipients.empty()) return false;
  return std::all_of(recipients.begin(), recipients.end(),
                     [&](const std::string& r) { return IsInternalRecipient(config, r); });
}

// The condition of `rule` that the envelope decides, or nullopt-like -1 when it needs content.
// Returns 1 true, 0 false, -1 unknown without the message.
int EnvelopeCondition(const ApprovalConfig& config, const Rule& rule, const std::vector<std::string>& recipients,
                      std::string* reason) {
  switch (rule.when) {
    case When::kNever: return 1;
    case When::kAlways:
      *reason = "always";
      return 1;
    case When::kRecipientDomain:
      for (const std::string& r : recipients) {
        const std::string d = DomainOf(r);
        for (const std::string& base : rule.domains) {
          if (DomainWithin(d, base)) {
            *reason = "recipient " + NormalizeAddress(r) + " in " + base;
            return 1;
          }
        }
      }
      return 0;
    case When::kExternal:
      for (const std::string& r : recipients) {
        if (!IsInternalRecipient(config, r)) {
          *reason = "external recipient " + NormalizeAddress(r);
          return 1;
        }
      }
      return 0;
    case When::kAttachment:
    case When::kKeywords: return -1;
  }
  return 0;
}

bool ContentCondition(const Rule& rule, const MessageFacts& facts, std::string* reason) {
  if (rule.when == When::kAttachment) {
    if (facts.attachment_count == 0 && facts.attachment_names.empty()) return false;
    *reason = "attachment";
    for (size_t i = 0; i < facts.attachment_names.size(); ++i) {
      *reason += (i ? ", " : ": ") + facts.attachment_names[i];
    }
    return true;
  }
  for (const std::string& k : rule.keywords) {
    if (ContainsKeyword(facts.subject, k)) {
      *reason = "keyword in subject: " + k;
      return true;
    }
    if (rule.match == KeywordScope::kSubjectAndBody && ContainsKeyword(facts.body_sample, k)) {
      *reason = "keyword in body: " + k;
      return true;
    }
  }
  return false;
}

}  // namespace

bool IsInternalRecipient(const ApprovalConfig& config, const std::string& address) {
  const std::string d = DomainOf(address);
  for (const std::string& base : config.internal_domains) {
    if (DomainWithin(d, base)) return true;
  }
  return false;
}

bool ContainsKeyword(const std::string& haystack, const std::string& keyword) {
  if (keyword.empty()) return false;
  auto eq = [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  };
  return std::search(haystack.begin(), haystack.end(), keyword.begin(), keyword.end(), eq) != haystack.end();
}

namespace {

// The rules for one identity (the login / envelope sender, or one header From).
HoldDecision EvaluateFor(const ApprovalConfig& config, const MessageFacts& facts, const std::string& identity,
                         bool internal_only) {
  HoldDecision d;
  for (size_t i = 0; i < config.rules.size(); ++i) {
    const Rule& rule = config.rules[i];
    if (!MatchSenderPattern(rule.sender, identity, rule.when == When::kNever)) continue;
    if (internal_only && rule.when != When::kAlways && rule.when != When::kNever) continue;
    std::string reason;
    int env = EnvelopeCondition(config, rule, facts.recipients, &reason);
    const bool matched = env == 1 || (env == -1 && ContentCondition(rule, facts, &reason));
    if (!matched) continue;
    d.rule_index = static_cast<int>(i);
    d.rule = rule.Describe();
    if (rule.when == When::kNever) return d;  // an exception: passes
    d.hold = true;
    d.reason = reason;
    d.approvers = rule.approvers;
    d.quorum = rule.quorum;
    return d;
  }
  return d;
}

}  // namespace

HoldDecision Evaluate(const ApprovalConfig& config, const MessageFacts& facts) {
  if (!config.enabled) return HoldDecision();
  const bool internal_only = AllInternal(config, facts.recipients);
  HoldDecision d = EvaluateFor(config, facts, facts.sender, internal_only);
  // A header From cannot escape a stricter rule than the envelope sender's:
  // hold beats pass; of two holds, the rule that comes first in the config.
  for (const std::string& from : facts.header_from) {
    if (from == facts.sender) continue;
    HoldDecision h = EvaluateFor(config, facts, from, internal_only);
    if (!h.hold || (d.hold && d.rule_index <= h.rule_index)) continue;
    h.reason += (h.reason.empty() ? "" : " ") + std::string("(header From ") + from + ")";
    d = std::move(h);
  }
  return d;
}

EnvelopeOutlook PreviewEnvelope(const ApprovalConfig& config, const std::string& sender,
                                const std::vector<std::string>& recipients, bool header_from_counts) {
  if (!config.enabled) return EnvelopeOutlook::kPass;
  const bool internal_only = AllInternal(config, recipients);
  for (const Rule& rule : config.rules) {
    if (!MatchSenderPattern(rule.sender, sender, rule.when == When::kNever)) continue;
    if (internal_only && rule.when != When::kAlways && rule.when != When::kNever) continue;
    std::string reason;
    const int env = EnvelopeCondition(config, rule, recipients, &reason);
    if (env == -1) return EnvelopeOutlook::kDependsOnContent;
    if (env == 1) {
      if (rule.when != When::kNever) return EnvelopeOutlook::kHold;
      break;  // the sender passes; a header From may not
    }
  }
  if (!header_from_counts) return EnvelopeOutlook::kPass;
  // Any rule that could hold these recipients for some From address.
  for (const Rule& rule : config.rules) {
    if (rule.when == When::kNever) continue;
    if (internal_only && rule.when != When::kAlways) continue;
    std::string reason;
    if (EnvelopeCondition(config, rule, recipients, &reason) != 0) return EnvelopeOutlook::kDependsOnContent;
  }
  return EnvelopeOutlook::kPass;
}

}  // namespace mailtee::approval
