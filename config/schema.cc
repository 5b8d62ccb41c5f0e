#include "config/schema.h"

#include <algorithm>

namespace mailtee::config {
namespace {

// Adding a config element: one row here, one parse function in loader.cc.
const std::vector<ElementSchema>& Schema() {
  static const std::vector<ElementSchema> schema = {
      {"mailtee", {}, {"storage", "tls", "logs", "listener", "admin", "retention", "legal-hold",
                    "approval", "daemon"}},
      {"daemon", {"user", "group"}, {}},
      {"admin", {"enabled", "address", "port", "users-file", "public-url", "metrics-allow", "metrics-token-file"}, {}},
      {"storage", {"dir"}, {}},
      {"tls", {"cert", "key"}, {"name"}},
      {"name", {}, {}},   // <tls><name>: text content, a DNS name or an IP address
      {"logs", {"retention-days", "transcripts"}, {}},
      {"retention", {"days", "user"}, {}},
      {"legal-hold", {"user"}, {}},
      {"listener",
       {"name", "protocol", "address", "port", "tls", "bare-newline", "max-message-size", "max-recipients",
        "max-connections-per-ip", "max-connections", "require-tls"},
       {"upstream", "auth", "allow", "timeouts"}},
      {"upstream", {"host", "port", "tls", "verify", "ca-file"}, {}},
      {"auth", {"mode", "user", "password", "password-file"}, {}},
      {"allow", {"network"}, {}},
      {"timeouts", {"greeting", "command", "data-block", "data-end", "idle", "line", "session", "min-data-rate"}, {}},
      // <approval> is only declared here: config/ cannot link proxy/approval, so
      // check-config and run parse it with approval::LoadApprovalSection.
      {"approval",
       {"enabled", "address", "expire-hours", "skip-weekends", "on-expire", "escalate-to", "secret-file",
        "public-url", "listener"},
       {"internal", "rule", "relay-account"}},
      {"internal", {"domain"}, {}},
      {"rule", {"name", "sender", "when", "approvers", "quorum", "keywords", "keywords-file", "match", "domains"}, {}},
      {"relay-account", {"sender", "user", "password", "password-file"}, {}},
  };
  return schema;
}

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

const std::vector<ElementSchema>& AllElements() { return Schema(); }

const ElementSchema* FindElement(const std::string& name) {
  for (const ElementSchema& e : Schema()) {
    if (name == e.name) return &e;
  }
  return nullptr;
}

std::string NearestName(const std::string& word, const std::vector<const char*>& candidates) {
  std::string best;
  size_t best_distance = 4;
  for (const char* c : candidates) {
    const std::string name = c;
    // A shortened name ("prot" for "protocol") is as likely a slip as a typo.
    const bool abbreviation = word.size() >= 3 && name.compare(0, word.size(), word) == 0;
    const size_t d = abbreviation ? 1 : EditDistance(word, name);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

}  // namespace mailtee::config
