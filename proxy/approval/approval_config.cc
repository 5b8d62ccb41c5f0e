#include "proxy/approval/approval_config.h"

#include <tinyxml2.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "config/small_file.h"
#include "proxy/approval/address_pattern.h"

namespace mailtee::approval {
namespace {

using tinyxml2::XMLElement;

constexpr size_t kMaxKeywordsFileBytes = 64 << 10;
constexpr size_t kMaxPasswordFileBytes = 4096;
constexpr size_t kMaxConfigBytes = 1 << 20;

struct WhenName {
  const char* text;
  When value;
};
const WhenName kWhenNames[] = {{"never", When::kNever},         {"always", When::kAlways},
                               {"attachment", When::kAttachment}, {"keywords", When::kKeywords},
                               {"recipient-domain", When::kRecipientDomain}, {"external", When::kExternal}};

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text + ",") {
    if (c == ',' || c == ';') {
      size_t b = cur.find_first_not_of(" \t\r\n"), e = cur.find_last_not_of(" \t\r\n");
      if (b != std::string::npos) out.push_back(cur.substr(b, e - b + 1));
      cur.clear();
    } else {
      cur += c;
    }
  }
  return out;
}

class Parser {
 public:
  Parser(std::string base_dir, ApprovalConfig* out, std::vector<config::Problem>* problems)
      : base_dir_(std::move(base_dir)), out_(out), problems_(problems) {}

  void Run(const XMLElement* e) {
    *out_ = ApprovalConfig();
    out_->line = e->GetLineNum();
    ParseRoot(e);
    for (const XMLElement* c = e->FirstChildElement(); c; c = c->NextSiblingElement()) {
      const std::string name = c->Name();
      if (name == "internal") {
        ParseInternal(c);
      } else if (name == "rule") {
        ParseRule(c);
      } else if (name == "relay-account") {
        ParseRelayAccount(c);
      }
      // Unknown elements and attributes are reported once, by the loader's schema check.
    }
    if (out_->enabled) CheckCoverage(e);
  }

 private:
  void Add(const XMLElement* e, std::string message, std::string hint, bool warning) {
    problems_->push_back(config::Problem{"", e ? e->GetLineNum() : 0, std::move(message), std::move(hint), warning});
  }
  void Error(const XMLElement* e, std::string m, std::string h = "") { Add(e, std::move(m), std::move(h), false); }
  void Warn(const XMLElement* e, std::string m, std::string h = "") { Add(e, std::move(m), std::move(h), true); }

  std::string Resolve(const std::string& path) const {
    if (path.empty() || path[0] == '/' || base_dir_.empty()) return path;
    return base_dir_.back() == '/' ? base_dir_ + path : base_dir_ + "/" + path;
  }

  bool Number(const XMLElement* e, const char* name, long min, long max, int* out) {
    const char* v = e->Attribute(name);
    if (v == nullptr) return false;
    char* end = nullptr;
    errno = 0;
    const long n = std::strtol(v, &end, 10);
    if (!std::isdigit(static_cast<unsigned char>(v[0])) || *end != '\0' || errno != 0 || n < min || n > max) {
      Error(e, std::string(name) + "=\"" + v + "\" on <" + e->Name() + "> is not a number from " +
                   std::to_string(min) + " to " + std::to_string(max),
            "write a whole number in that range");
      return false;
    }
    *out = static_cast<int>(n);
    return true;
  }

  std::vector<std::string> Addresses(const XMLElement* e, const char* attr) {
    std::vector<std::string> out;
    const char* v = e->Attribute(attr);
    if (v == nullptr) return out;
    for (const std::string& a : SplitList(v)) {
      if (!IsPlainAddress(a)) {
        Error(e, "'" + a + "' in " + attr + " is not a mail address",
              "write plain addresses separated by commas, e.g. bucho@company.example,kacho@company.example");
        continue;
      }
      out.push_back(NormalizeAddress(a));
    }
    return out;
  }

  void ParseRoot(const XMLElement* e) {
    if (const char* v = e->Attribute("enabled")) {
      const std::string s = v;
      if (s == "true" || s == "yes" || s == "1") {
        out_->enabled = true;
      } else if (s != "false" && s != "no" && s != "0") {
        Error(e, "'" + s + "' is not a valid value for enabled on <approval>", "use true or false");
      }
    }
    if (const char* v = e->Attribute("address")) {
      if (!IsPlainAddress(v)) {
        Error(e, std::string("approval address '") + v + "' is not a mail address",
              "e.g. address=\"approval@mailtee.local\"");
      } else {
        out_->address = NormalizeAddress(v);
      }
    }
    Number(e, "expire-hours", 1, 24 * 365, &out_->expire_hours);
    if (const char* v = e->Attribute("skip-weekends")) {
      const std::string w = v;
      if (w == "true" || w == "yes" || w == "1") out_->skip_weekends = true;
      else if (w != "false" && w != "no" && w != "0") Error(e, "'" + w + "' is not a valid value for skip-weekends on <approval>", "use true or false");
    }
    if (const char* v = e->Attribute("on-expire")) {
      const std::string s = v;
      if (s == "reject") out_->on_expire = OnExpire::kReject;
      else if (s == "release") out_->on_expire = OnExpire::kRelease;
      else if (s == "escalate") out_->on_expire = OnExpire::kEscalate;
      else Error(e, "'" + s + "' is not a valid value for on-expire on <approval>", "use one of: reject, release, escalate");
    }
    out_->escalate_to = Addresses(e, "escalate-to");
    if (out_->on_expire == OnExpire::kEscalate && out_->escalate_to.empty()) {
      Error(e, "on-expire=\"escalate\" needs escalate-to=\"...\"", "name the approver(s) who decide expired holds");
    }
    if (out_->on_expire == OnExpire::kRelease && out_->enabled) {
      Warn(e, "on-expire=\"release\": held mail is sent unapproved when nobody decides in time",
           "use on-expire=\"reject\" or \"escalate\" if approval is mandatory");
    }
    // Without secret-file the key lives in <storage> (the one folder the
    // daemon may write): ResolveSecretFile fills it in once storage is known.
    if (const char* secret = e->Attribute("secret-file")) out_->secret_file = Resolve(secret);
    if (const char* v = e->Attribute("public-url")) {
      std::string url = v;
      while (!url.empty() && url.back() == '/') url.pop_back();
      if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0) {
        Error(e, "public-url '" + url + "' is not an http(s) URL", "e.g. public-url=\"https://mailtee.company.example:8443\"");
      } else {
        if (url.rfind("http://", 0) == 0) {
          Warn(e, "public-url uses http: approval links travel in clear", "use the admin server's https URL");
        }
        out_->public_url = url;
      }
    }
    if (const char* v = e->Attribute("listener")) out_->listener = v;
  }

  void ParseInternal(const XMLElement* e) {
    const char* d = e->Attribute("domain");
    if (d == nullptr || *d == '\0' || std::strchr(d, '@') || std::strchr(d, ' ')) {
      Error(e, "<internal> needs domain=\"company.example\"", "one domain per <internal>, without '@'");
      return;
    }
    out_->internal_domains.push_back(NormalizeAddress(d));
  }

  void ParseRule(const XMLElement* e) {
    Rule r;
    r.line = e->GetLineNum();
    if (const char* name = e->Attribute("name")) ParseRuleName(e, name, &r);
    const char* sender = e->Attribute("sender");
    if (sender == nullptr || *sender == '\0') {
      Error(e, "<rule> needs sender=\"...\"", "a pattern: \"*\", \"*@company.example\" or an address");
    } else {
      r.sender = NormalizeAddress(sender);
    }
    const char* when = e->Attribute("when");
    bool known = false;
    if (when == nullptr) {
      Error(e, "<rule> needs when=\"...\"", "never, always, attachment, keywords, recipient-domain or external");
    } else {
      for (const WhenName& w : kWhenNames) {
        if (std::strcmp(w.text, when) == 0) {
          r.when = w.value;
          known = true;
        }
      }
      if (!known) {
        Error(e, std::string("'") + when + "' is not a valid value for when on <rule>",
              "use one of: never, always, attachment, keywords, recipient-domain, external");
      }
    }
    r.approvers = Addresses(e, "approvers");
    if (known && r.when != When::kNever && r.approvers.empty() && e->Attribute("approvers") == nullptr) {
      Error(e, "a rule that holds mail needs approvers=\"...\"", "name who may release it, e.g. approvers=\"bucho@company.example\"");
    }
    if (Number(e, "quorum", 1, 100, &r.quorum) && !r.approvers.empty() &&
        r.quorum > static_cast<int>(r.approvers.size())) {
      Error(e, "quorum=\"" + std::to_string(r.quorum) + "\" is more than the " + std::to_string(r.approvers.size()) +
                   " approver(s) of this rule",
            "lower the quorum or add approvers");
    }
    if (r.when == When::kKeywords) ParseKeywords(e, &r);
    if (const char* m = e->Attribute("match")) {
      if (std::strcmp(m, "subject") == 0) r.match = KeywordScope::kSubject;
      else if (std::strcmp(m, "body") == 0) r.match = KeywordScope::kSubjectAndBody;
      else Error(e, std::string("'") + m + "' is not a valid value for match on <rule>", "use subject or body");
    }
    if (r.when == When::kRecipientDomain) {
      if (const char* d = e->Attribute("domains")) {
        for (const std::string& dom : SplitList(d)) r.domains.push_back(NormalizeAddress(dom));
      }
      if (r.domains.empty()) {
        Error(e, "when=\"recipient-domain\" needs domains=\"...\"", "e.g. domains=\"customer.example\"");
      }
    }
    if (r.when == When::kExternal && out_->internal_domains.empty()) {
      Warn(e, "when=\"external\" before any <internal> domain: every recipient counts as external",
           "put <internal domain=\"...\"/> before the rules");
    }
    out_->rules.push_back(std::move(r));
  }

  // A name is what approvers read in every hold reason, so it must say
  // something, fit on a line, and point at one rule.
  void ParseRuleName(const XMLElement* e, const std::string& name, Rule* r) {
    const size_t b = name.find_first_not_of(" \t\r\n"), end = name.find_last_not_of(" \t\r\n");
    if (b == std::string::npos) {
      Error(e, "name=\"\" on <rule> is empty", "give the rule a short name approvers will understand, e.g. name=\"見積は部長承認\"");
      return;
    }
    const std::string trimmed = name.substr(b, end - b + 1);
    if (trimmed.size() > 100 || trimmed.find_first_of("\r\n") != std::string::npos) {
      Error(e, "name on <rule> is longer than 100 bytes or has a line break", "use a short name on one line");
      return;
    }
    for (const Rule& other : out_->rules) {
      if (other.name == trimmed) {
        Error(e, "two rules are named \"" + trimmed + "\" (the other at line " + std::to_string(other.line) + ")",
              "give each rule its own name: approvers read it in the hold reason");
        return;
      }
    }
    r->name = trimmed;
  }

  void ParseKeywords(const XMLElement* e, Rule* r) {
    if (const char* inline_list = e->Attribute("keywords")) {
      for (const std::string& k : SplitList(inline_list)) r->keywords.push_back(k);
    }
    if (const char* file = e->Attribute("keywords-file")) {
      const std::string path = Resolve(file);
      std::string text;
      Status s = config::ReadSmallFile(path, kMaxKeywordsFileBytes, &text);
      if (!s.ok()) {
        Error(e, "keywords-file: " + s.message(), "one keyword per line (UTF-8); relative paths start at the config folder");
      } else {
        size_t pos = 0;
        while (pos < text.size()) {
          size_t nl = text.find('\n', pos);
          if (nl == std::string::npos) nl = text.size();
          std::string line = text.substr(pos, nl - pos);
          pos = nl + 1;
          if (line.size() >= 3 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);  // BOM
          const size_t b = line.find_first_not_of(" \t\r"), end = line.find_last_not_of(" \t\r");
          if (b == std::string::npos || line[b] == '#') continue;
          r->keywords.push_back(line.substr(b, end - b + 1));
        }
      }
    }
    if (r->keywords.empty() && e->Attribute("keywords-file") == nullptr) {
      Error(e, "when=\"keywords\" needs keywords-file=\"...\" or keywords=\"...\"", "list the words that require approval");
    } else if (r->keywords.empty()) {
      Warn(e, "the keywords of this rule are empty: it never holds", "add one keyword per line to the file");
    }
  }

  void ParseRelayAccount(const XMLElement* e) {
    RelayAccount a;
    a.line = e->GetLineNum();
    const char* sender = e->Attribute("sender");
    const char* user = e->Attribute("user");
    if (sender == nullptr || *sender == '\0') Error(e, "<relay-account> needs sender=\"...\"", "whose mail it relays, e.g. *@company.example");
    if (user == nullptr || *user == '\0') Error(e, "<relay-account> needs user=\"...\"", "the provider login used to send approved mail");
    a.sender = sender ? NormalizeAddress(sender) : "";
    a.user = user ? user : "";
    const char* password = e->Attribute("password");
    const char* password_file = e->Attribute("password-file");
    if (password && password_file) {
      Error(e, "give either password or password-file, not both", "prefer password-file (mode 600)");
    } else if (password) {
      a.password = password;
      if (a.password.empty()) Error(e, "relay-account password=\"\" is empty", "give the provider password, or use password-file");
    } else if (password_file) {
      const std::string path = Resolve(password_file);
      std::string content;
      unsigned mode = 0;
      Status s = config::ReadSmallFile(path, kMaxPasswordFileBytes, &content, &mode);
      if (!s.ok()) {
        Error(e, "password-file: " + s.message(), "check the path (relative paths start at the config folder) and permissions");
      } else {
        a.password = content.substr(0, content.find_first_of("\r\n"));
        if (a.password.empty()) Error(e, "password-file " + path + " is empty", "write the provider password on its first line");
        if (mode & 077) Warn(e, "password-file " + path + " is readable by group or other users", "chmod 600 " + path);
      }
    } else {
      Error(e, "<relay-account> needs password-file=\"...\" (or password=\"...\")", "the provider password, in a file with mode 600");
    }
    out_->relay_accounts.push_back(std::move(a));
  }

  // Every rule that can hold needs a relay account for its senders, and the
  // notices need one for the approval address.
  void CheckCoverage(const XMLElement* root) {
    for (const Rule& r : out_->rules) {
      if (r.when == When::kNever || r.sender.empty()) continue;
      bool covered = false;
      for (const RelayAccount& a : out_->relay_accounts) covered |= MatchAddressPattern(a.sender, r.sender);
      if (!covered) {
        problems_->push_back(config::Problem{"", r.line,
                                             "rule for sender '" + r.sender +
                                                 "' can hold mail, but no <relay-account> covers that sender: approved mail could not be sent",
                                             "add <relay-account sender=\"" + r.sender + "\" user=\"...\" password-file=\"...\"/>",
                                             false});
      }
    }
    if (out_->RelayAccountFor(out_->address) == nullptr) {
      Error(root, "no <relay-account> covers the approval address " + out_->address + ": notices could not be sent",
            "add <relay-account sender=\"" + out_->address + "\" .../> (or one with sender=\"*\")");
    }
  }

  std::string base_dir_;
  ApprovalConfig* out_;
  std::vector<config::Problem>* problems_;
};

}  // namespace

const char* ToString(When when) {
  for (const WhenName& w : kWhenNames) {
    if (w.value == when) return w.text;
  }
  return "?";
}

const char* ToString(OnExpire on_expire) {
  switch (on_expire) {
    case OnExpire::kReject: return "reject";
    case OnExpire::kRelease: return "release";
    case OnExpire::kEscalate: return "escalate";
  }
  return "?";
}

std::string Rule::Describe() const {
  std::string s = "rule " + (name.empty() ? "" : "\"" + name + "\" ") + "at line " + std::to_string(line) +
                  ": sender " + sender + ", when " + ToString(when);
  if (when == When::kRecipientDomain) {
    s += " (";
    for (size_t i = 0; i < domains.size(); ++i) s += (i ? "," : "") + domains[i];
    s += ")";
  }
  if (when == When::kKeywords) s += match == KeywordScope::kSubject ? " (subject)" : " (subject or body)";
  if (quorum > 1) s += ", quorum " + std::to_string(quorum);
  return s;
}

const RelayAccount* ApprovalConfig::RelayAccountFor(const std::string& sender) const {
  for (const RelayAccount& a : relay_accounts) {
    if (MatchAddressPattern(a.sender, sender)) return &a;
  }
  return nullptr;
}

Status ParseApprovalConfig(const tinyxml2::XMLElement* element, const std::string& base_dir, ApprovalConfig* out,
                           std::vector<config::Problem>* problems) {
  if (element == nullptr || std::strcmp(element->Name(), "approval") != 0) {
    return Status::Error("ParseApprovalConfig expects the <approval> element");
  }
  Parser(base_dir, out, problems).Run(element);
  return Status::Ok();
}

const config::Listener* RelayListener(const ApprovalConfig& approval, const std::vector<config::Listener>& listeners) {
  for (const config::Listener& l : listeners) {
    if (l.protocol != config::Protocol::kSmtp) continue;
    if (approval.listener.empty() || l.name == approval.listener) return &l;
  }
  return nullptr;
}

void ValidateApprovalListener(const ApprovalConfig& approval, const std::vector<config::Listener>& listeners,
                              std::vector<config::Problem>* problems) {
  if (!approval.enabled) return;
  const config::Listener* l = RelayListener(approval, listeners);
  if (l == nullptr) {
    problems->push_back(config::Problem{
        "", approval.line,
        approval.listener.empty() ? "approval is enabled but there is no SMTP listener to relay approved mail through"
                                  : "approval listener=\"" + approval.listener + "\" is not an SMTP listener",
        "name an SMTP <listener> whose <upstream> sends approved mail", false});
  } else if (!l->upstream) {
    problems->push_back(config::Problem{"", approval.line, "approval relays through listener '" + l->name +
                                                               "', which has no <upstream>",
                                        "add an <upstream> to that listener", false});
  }
}

Status LoadApprovalSection(const std::string& config_path, ApprovalConfig* out,
                           std::vector<config::Problem>* problems) {
  *out = ApprovalConfig();
  std::string text;
  Status s = config::ReadSmallFile(config_path, kMaxConfigBytes, &text);
  if (!s.ok()) return s.WithContext("while loading the <approval> section");
  tinyxml2::XMLDocument doc;
  if (doc.Parse(text.data(), text.size()) != tinyxml2::XML_SUCCESS || doc.RootElement() == nullptr) {
    return Status::Error("config " + config_path + " is not well-formed XML");
  }
  const XMLElement* e = doc.RootElement()->FirstChildElement("approval");
  if (e == nullptr) return Status::Ok();
  const size_t first = problems->size();
  const size_t slash = config_path.rfind('/');
  const std::string base = slash == std::string::npos ? "." : (slash == 0 ? "/" : config_path.substr(0, slash));
  s = ParseApprovalConfig(e, base, out, problems);
  for (size_t i = first; i < problems->size(); ++i) (*problems)[i].file = config_path;
  return s;
}

}  // namespace mailtee::approval
