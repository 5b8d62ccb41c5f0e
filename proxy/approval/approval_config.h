// The <approval> section of the config: hold rules (first match wins),
// approvers, relay accounts and expiry. Parsed by ParseApprovalConfig, which
// config/loader.cc calls for the <approval> element (see docs/approval.md).
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "config/loader.h"
#include "config/status.h"

namespace tinyxml2 {
class XMLElement;
}

namespace mailtee::approval {

enum class When { kNever, kAlways, kAttachment, kKeywords, kRecipientDomain, kExternal };
enum class KeywordScope { kSubject, kSubjectAndBody };
enum class OnExpire { kReject, kRelease, kEscalate };

const char* ToString(When when);
const char* ToString(OnExpire on_expire);

struct Rule {
  std::string name;                     // name="..." shown in hold reasons; "" = named by its sender pattern
  std::string sender;                   // address pattern (address_pattern.h)
  When when = When::kNever;
  std::vector<std::string> approvers;   // normalized plain addresses
  int quorum = 1;                       // approvals needed; one rejection always rejects
  std::vector<std::string> keywords;    // kKeywords (UTF-8, matched case-insensitively for ASCII)
  KeywordScope match = KeywordScope::kSubject;
  std::vector<std::string> domains;     // kRecipientDomain: hold when any recipient is in one
  int line = 0;
  // "rule at line 4: sender *@company.example, when attachment" (with its name:
  // "rule \"quotes\" at line 4: ...") for the approval log and check-config.
  // Readers see hold_reason.h instead: it has no line number that goes stale.
  std::string Describe() const;
};

struct RelayAccount {
  std::string sender;                   // address pattern: whose mail this account relays
  std::string user;
  std::string password;                 // never logged
  int line = 0;
};

struct ApprovalConfig {
  bool enabled = false;
  std::string address = "approval@mailtee.local";   // mail commands go here; notices come from here
  int expire_hours = 72;
  bool skip_weekends = false;            // expire-hours count Monday to Friday only (local time)
  OnExpire on_expire = OnExpire::kReject;
  std::vector<std::string> escalate_to;  // on-expire="escalate": approvers added when the hold expires once
  std::string secret_file;               // absolute; generated on first start (0600); "" until
                                         // ResolveSecretFile (approval_key_path.h) fills the default
  std::string public_url;                // "https://mailtee.company.example:8443" for links; "" = no web links
  std::string listener;                  // SMTP listener whose <upstream> relays; "" = the first SMTP listener
  std::vector<std::string> internal_domains;
  std::vector<Rule> rules;
  std::vector<RelayAccount> relay_accounts;
  int line = 0;

  // The first relay account whose pattern matches sender, or null.
  const RelayAccount* RelayAccountFor(const std::string& sender) const;
};

// Parses <approval>. Problems carry line, message and hint; their `file` is left
// empty for the loader to fill in. base_dir resolves relative file names.
// Returns an error Status only when the element is not <approval>; every
// configuration mistake is a Problem (errors make the config unusable).
Status ParseApprovalConfig(const tinyxml2::XMLElement* element, const std::string& base_dir,
                           ApprovalConfig* out, std::vector<config::Problem>* problems);

// Cross-checks against the listeners (the loader calls it after both are parsed):
// the relay listener exists and is SMTP with an <upstream>.
void ValidateApprovalListener(const ApprovalConfig& approval, const std::vector<config::Listener>& listeners,
                              std::vector<config::Problem>* problems);

// The listener whose upstream relays approved mail and notices, or null.
const config::Listener* RelayListener(const ApprovalConfig& approval,
                                      const std::vector<config::Listener>& listeners);

// config/ cannot link proxy/approval (approval depends on smtp -> net -> config),
// so the loader only accepts <approval> by its schema rows; the daemon and
// check-config load it from the same file afterwards, with true line numbers.
// No <approval> element: *out stays disabled, no problem. Problems get `file`.
Status LoadApprovalSection(const std::string& config_path, ApprovalConfig* out,
                           std::vector<config::Problem>* problems);

}  // namespace mailtee::approval
