#include "config/loader.h"

#include <arpa/inet.h>
#include <sys/stat.h>
#include <tinyxml2.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "config/schema.h"
#include "config/small_file.h"

namespace mailtee::config {
namespace {

using tinyxml2::XMLElement;

constexpr const char* kEmbeddedSource = "<embedded default>";
constexpr size_t kMaxConfigBytes = 1 << 20;     // a config is a few KB; refuse surprises
constexpr size_t kMaxPasswordFileBytes = 4096;

template <typename T>
struct EnumValue {
  const char* text;
  T value;
};

const EnumValue<Protocol> kProtocols[] = {{"smtp", Protocol::kSmtp}, {"pop3", Protocol::kPop3}};
const EnumValue<TlsMode> kTlsModes[] = {
    {"none", TlsMode::kNone}, {"starttls", TlsMode::kStartTls}, {"implicit", TlsMode::kImplicit}};
const EnumValue<AuthMode> kAuthModes[] = {{"passthrough", AuthMode::kPassthrough},
                                          {"account", AuthMode::kAccount},
                                          {"none", AuthMode::kNone}};
const EnumValue<BareNewline> kBareNewline[] = {{"reject", BareNewline::kReject},
                                               {"normalize", BareNewline::kNormalize}};
const EnumValue<bool> kBooleans[] = {{"true", true}, {"false", false}, {"yes", true},
                                     {"no", false},  {"1", true},      {"0", false}};

bool IsIpLiteral(const std::string& s, bool* loopback) {
  uint8_t buf[16];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) {
    *loopback = buf[0] == 127;
    return true;
  }
  if (inet_pton(AF_INET6, s.c_str(), buf) == 1) {
    static const uint8_t kLoopback6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    static const uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    *loopback = std::memcmp(buf, kLoopback6, 16) == 0 ||
                (std::memcmp(buf, kMappedPrefix, 12) == 0 && buf[12] == 127);
    return true;
  }
  return false;
}

// An IP literal as the 16-byte IPv6 form (IPv4 as ::ffff:a.b.c.d), so that
// 127.0.0.1 and ::ffff:127.0.0.1 compare equal. False when not an IP literal.
bool AsIpv6(const std::string& text, uint8_t out[16], bool* is_v4) {
  uint8_t v4[4];
  if (inet_pton(AF_INET, text.c_str(), v4) == 1) {
    static const uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    std::memcpy(out, kMappedPrefix, 12);
    std::memcpy(out + 12, v4, 4);
    *is_v4 = true;
    return true;
  }
  *is_v4 = false;
  return inet_pton(AF_INET6, text.c_str(), out) == 1;
}

// Two listeners collide when they bind the same port on the same address, or
// one binds a wildcard that covers the other: 0.0.0.0 covers every IPv4
// address; :: covers every address, IPv4 too, because the listener binds IPv6
// sockets dual-stack (libuv without UV_TCP_IPV6ONLY, Linux bindv6only=0).
bool SameBinding(const Listener& a, const Listener& b) {
  if (a.port != b.port) return false;
  uint8_t pa[16], pb[16];
  bool a_v4 = false, b_v4 = false;
  if (!AsIpv6(a.address, pa, &a_v4) || !AsIpv6(b.address, pb, &b_v4)) {
    return a.address == b.address;  // already reported as not an IP
  }
  static const uint8_t kAny6[16] = {};
  static const uint8_t kAny4[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0};
  const auto is_v4_mapped = [](const uint8_t* p) { return std::memcmp(p, kAny4, 12) == 0; };
  if (std::memcmp(pa, kAny6, 16) == 0 || std::memcmp(pb, kAny6, 16) == 0) return true;
  if (std::memcmp(pa, kAny4, 16) == 0 && is_v4_mapped(pb)) return true;
  if (std::memcmp(pb, kAny4, 16) == 0 && is_v4_mapped(pa)) return true;
  return std::memcmp(pa, pb, 16) == 0;
}

// Well-known ports and the TLS mode their clients expect (RFC 8314: 465 and
// 995 are implicit TLS; RFC 6409 / RFC 2595: 587 and 110 start in plain text).
struct PortConvention {
  uint16_t implicit_port;
  uint16_t starttls_port;
};
PortConvention ConventionFor(Protocol p) {
  return p == Protocol::kSmtp ? PortConvention{465, 587} : PortConvention{995, 110};
}

// tinyxml2's ErrorStr() is "Error=XML_ERROR_X ErrorID=7 (0x7) Line number=2: detail";
// say what the error means instead, keeping its detail.
std::string XmlErrorText(const tinyxml2::XMLDocument& doc) {
  std::string meaning;
  switch (doc.ErrorID()) {
    case tinyxml2::XML_ERROR_PARSING_ATTRIBUTE:
      meaning = "bad attribute (a value without quotes, or the same attribute twice)";
      break;
    case tinyxml2::XML_ERROR_MISMATCHED_ELEMENT: meaning = "closing tag does not match the open element"; break;
    case tinyxml2::XML_ERROR_PARSING_ELEMENT: meaning = "element not closed or malformed"; break;
    case tinyxml2::XML_ERROR_EMPTY_DOCUMENT: meaning = "the file has no XML element"; break;
    case tinyxml2::XML_ERROR_PARSING_COMMENT: meaning = "comment not closed with -->"; break;
    case tinyxml2::XML_ERROR_PARSING_TEXT: meaning = "stray text or '<'"; break;
    case tinyxml2::XML_ERROR_PARSING: meaning = "malformed markup (a stray '<' or an unfinished tag)"; break;
    case tinyxml2::XML_ELEMENT_DEPTH_EXCEEDED: meaning = "elements nested too deeply"; break;
    default: meaning = doc.ErrorName(); break;
  }
  const std::string raw = doc.ErrorStr() ? doc.ErrorStr() : "";
  const size_t colon = raw.find(": ");
  if (colon != std::string::npos && colon + 2 < raw.size()) meaning += " (" + raw.substr(colon + 2) + ")";
  return meaning;
}

class Loader {
 public:
  Loader(std::string source, std::string base_dir, bool embedded, FileAccess files = FileAccess::kAny)
      : source_(std::move(source)), base_dir_(std::move(base_dir)), embedded_(embedded), files_(files) {
    result_.config.source = source_;
  }

  LoadResult Run(const std::string& xml) {
    tinyxml2::XMLDocument doc;
    if (doc.Parse(xml.data(), xml.size()) != tinyxml2::XML_SUCCESS) {
      Add(doc.ErrorLineNum(), "XML syntax error: " + XmlErrorText(doc),
          "fix the XML at that line (unclosed tag, stray '&' — write &amp;, or an unquoted attribute)",
          false);
      return std::move(result_);
    }
    const XMLElement* root = doc.RootElement();
    if (root == nullptr || std::strcmp(root->Name(), "mailtee") != 0) {
      Error(root, std::string("the root element is <") + (root ? root->Name() : "") + ">, expected <mailtee>",
            "wrap the configuration in <mailtee> ... </mailtee>");
      return std::move(result_);
    }
    CheckShape(root);
    if (const XMLElement* e = Single(root, "storage")) ParseStorage(e);
    if (const XMLElement* e = Single(root, "tls")) ParseTls(e);
    if (const XMLElement* e = Single(root, "logs")) ParseLogs(e);
    if (const XMLElement* e = Single(root, "daemon")) ParseDaemon(e);
    ParseRetention(root);
    for (const XMLElement* e = root->FirstChildElement("listener"); e; e = e->NextSiblingElement("listener")) {
      ParseListener(e);
    }
    // After the listeners, so a port clash with one of them is caught.
    if (const XMLElement* e = Single(root, "admin")) ParseAdmin(e);
    if (result_.config.listeners.empty()) {
      Error(root, "no <listener> is configured", "add at least one <listener> (see config/example.xml)");
    }
    return std::move(result_);
  }

 private:
  void Add(int line, std::string message, std::string hint, bool warning) {
    result_.problems.push_back(Problem{source_, line, std::move(message), std::move(hint), warning});
  }
  void Error(const XMLElement* e, std::string message, std::string hint = "") {
    Add(e ? e->GetLineNum() : 0, std::move(message), std::move(hint), false);
  }
  void Warn(const XMLElement* e, std::string message, std::string hint = "") {
    Add(e ? e->GetLineNum() : 0, std::move(message), std::move(hint), true);
  }

  // Unknown attributes and children of `e` (recursively) are errors with a suggestion.
  void CheckShape(const XMLElement* e) {
    const ElementSchema* schema = FindElement(e->Name());
    if (schema == nullptr) return;  // reported by the parent
    for (const tinyxml2::XMLAttribute* a = e->FirstAttribute(); a; a = a->Next()) {
      bool known = false;
      for (const char* name : schema->attributes) known |= std::strcmp(name, a->Name()) == 0;
      if (!known) {
        const std::string near = NearestName(a->Name(), schema->attributes);
        Error(e, std::string("unknown attribute '") + a->Name() + "' on <" + e->Name() + ">",
              near.empty() ? "remove it; see docs/config.md for the attributes of <" + std::string(e->Name()) + ">"
                           : "did you mean '" + near + "'?");
      }
    }
    for (const XMLElement* c = e->FirstChildElement(); c; c = c->NextSiblingElement()) {
      bool known = false;
      for (const char* name : schema->children) known |= std::strcmp(name, c->Name()) == 0;
      if (!known) {
        const std::string near = NearestName(c->Name(), schema->children);
        const std::string home = ParentOf(c->Name());
        std::string hint = near.empty() ? "remove it; see docs/config.md" : "did you mean <" + near + ">?";
        if (near.empty() && !home.empty()) hint = "<" + std::string(c->Name()) + "> belongs inside <" + home + ">";
        Error(c, std::string("unknown element <") + c->Name() + "> inside <" + e->Name() + ">", hint);
        continue;
      }
      CheckShape(c);
    }
  }

  // The one child named `name`, or null; every further copy is an error.
  const XMLElement* Single(const XMLElement* parent, const char* name) {
    const XMLElement* first = parent->FirstChildElement(name);
    if (first == nullptr) return nullptr;
    for (const XMLElement* extra = first->NextSiblingElement(name); extra; extra = extra->NextSiblingElement(name)) {
      Error(extra, std::string("<") + name + "> is given more than once in <" + parent->Name() + ">",
            "keep one (the first, at line " + std::to_string(first->GetLineNum()) + ", is used)");
    }
    return first;
  }

  std::optional<std::string> Attr(const XMLElement* e, const char* name, bool required) {
    const char* v = e->Attribute(name);
    if (v == nullptr) {
      if (required) {
        Error(e, std::string("<") + e->Name() + "> needs the attribute '" + name + "'",
              std::string("add ") + name + "=\"...\"");
      }
      return std::nullopt;
    }
    return std::string(v);
  }

  // Enum attribute; false only when present with a value not in the table.
  template <typename T, size_t N>
  bool Enum(const XMLElement* e, const char* name, const EnumValue<T> (&table)[N], T* out) {
    auto v = Attr(e, name, false);
    if (!v) return true;
    for (const auto& entry : table) {
      if (*v == entry.text) {
        *out = entry.value;
        return true;
      }
    }
    std::string allowed;
    for (const auto& entry : table) allowed += std::string(allowed.empty() ? "" : ", ") + entry.text;
    Error(e, std::string("'") + *v + "' is not a valid value for " + name + " on <" + e->Name() + ">",
          "use one of: " + allowed);
    return false;
  }

  // Integer attribute in [min, max]; false when absent or invalid.
  bool Integer(const XMLElement* e, const char* name, int64_t min, int64_t max, int64_t* out) {
    auto v = Attr(e, name, false);
    if (!v) return false;
    // strtoll alone would also take " 25" and "+25"; a config number is digits.
    const bool digits = !v->empty() && (std::isdigit(static_cast<unsigned char>((*v)[0])) ||
                                        ((*v)[0] == '-' && v->size() > 1));
    errno = 0;
    char* end = nullptr;
    const long long n = std::strtoll(v->c_str(), &end, 10);
    if (!digits || *end != '\0' || errno != 0 || n < min || n > max) {
      Error(e, std::string(name) + "=\"" + *v + "\" on <" + e->Name() + "> is not a number from " +
                   std::to_string(min) + " to " + std::to_string(max),
            "write a whole number in that range");
      return false;
    }
    *out = n;
    return true;
  }

  void Seconds(const XMLElement* e, const char* name, int* out) {
    int64_t v;
    if (Integer(e, name, 1, 86400, &v)) *out = static_cast<int>(v);
  }

  std::string Resolve(const std::string& path) const {
    if (path.empty() || path[0] == '/' || base_dir_.empty()) return path;
    return base_dir_.back() == '/' ? base_dir_ + path : base_dir_ + "/" + path;
  }

  // False (with a warning) when `path` must not be touched: FileAccess::kBaseDirOnly
  // and it lies outside base_dir_ (compared lexically, so "../" cannot climb
  // out; an empty base_dir_ allows nothing).
  bool MayOpen(const XMLElement* e, const std::string& what, const std::string& path) {
    if (files_ == FileAccess::kAny) return true;
    namespace fs = std::filesystem;
    std::error_code ec1, ec2;  // absolute() only reads the working directory
    const std::string file = fs::absolute(fs::path(path), ec1).lexically_normal().string();
    std::string folder = fs::absolute(fs::path(base_dir_), ec2).lexically_normal().string();
    if (!folder.empty() && folder.back() != '/') folder += '/';
    if (!base_dir_.empty() && !ec1 && !ec2 && file.size() > folder.size() &&
        file.compare(0, folder.size(), folder) == 0) {
      return true;
    }
    Warn(e, what + " " + path + " is outside the config's folder" + (base_dir_.empty() ? "" : " " + base_dir_) +
                ": not checked here",
         "the console checks only files in that folder; `mailtee check-config` on the server checks every file");
    return false;
  }

  // "" when `path` is a regular file mailtee can read, else why not. A folder
  // passes access(R_OK) but is no certificate.
  static std::string UnreadableReason(const std::string& path) {
    if (path.empty()) return "no file named";
    struct stat st;
    if (stat(path.c_str(), &st) != 0 || access(path.c_str(), R_OK) != 0) return std::strerror(errno);
    if (!S_ISREG(st.st_mode)) return "not a regular file";
    return "";
  }

  // Warns when a well-known port is given the other TLS mode: a client or
  // provider on 465/995 speaks TLS first, one on 587/110 starts in plain text.
  void CheckPortConvention(const XMLElement* e, const std::string& who, Protocol protocol, uint16_t port,
                           TlsMode tls) {
    const PortConvention c = ConventionFor(protocol);
    const std::string p = std::to_string(port);
    if (port == c.implicit_port && tls != TlsMode::kImplicit) {
      Warn(e, who + ": port " + p + " is normally implicit TLS, but tls=\"" + ToString(tls) + "\" is set",
           "use tls=\"implicit\" for port " + p + ", or port " + std::to_string(c.starttls_port) +
               " for tls=\"starttls\"");
    } else if (port == c.starttls_port && tls == TlsMode::kImplicit) {
      Warn(e, who + ": port " + p + " normally speaks STARTTLS, but tls=\"implicit\" is set",
           "use tls=\"starttls\" for port " + p + ", or port " + std::to_string(c.implicit_port) +
               " for tls=\"implicit\"");
    }
  }

  // The element that may contain `name` (e.g. "listener" for "upstream"), or "".
  static std::string ParentOf(const char* name) {
    for (const char* parent : {"mailtee", "listener"}) {
      const ElementSchema* s = FindElement(parent);
      for (const char* child : s->children) {
        if (std::strcmp(child, name) == 0) return parent;
      }
    }
    return "";
  }

  void ParseStorage(const XMLElement* e) {
    result_.config.storage_line = e->GetLineNum();
    if (auto dir = Attr(e, "dir", true)) {
      if (dir->empty()) {
        Error(e, "<storage dir=\"\"> is empty", "name the folder for archive, spool, index and logs");
      } else {
        result_.config.storage_dir = Resolve(*dir);
      }
    }
  }

  void ParseTls(const XMLElement* e) {
    TlsFiles tls;
    tls.line = e->GetLineNum();
    auto cert = Attr(e, "cert", false);
    auto key = Attr(e, "key", false);
    ParseSelfSignedNames(e, cert.has_value() || key.has_value());
    if (!cert && !key) return;  // <tls><name>...</name></tls>: the self-signed certificate
    if (!cert || !key) {
      Error(e, "<tls> needs both cert and key", "give cert=\"server.pem\" key=\"server.key\", or drop both "
                                                "to use a self-signed certificate made on first start");
      return;
    }
    tls.cert = Resolve(*cert);
    tls.key = Resolve(*key);
    for (const std::string* f : {&tls.cert, &tls.key}) {
      if (!MayOpen(e, "<tls> file", *f)) continue;
      const std::string why = UnreadableReason(*f);
      if (!why.empty()) {
        Error(e, "cannot read " + *f + ": " + why,
              "check the path (relative paths start at the config file's folder) and permissions");
      }
    }
    result_.config.tls = tls;
  }

  // <tls><name>mail.office.lan</name><name>192.168.10.5</name></tls>: extra
  // names for the self-signed certificate; with cert/key they do nothing.
  void ParseSelfSignedNames(const XMLElement* tls, bool own_certificate) {
    for (const XMLElement* n = tls->FirstChildElement("name"); n; n = n->NextSiblingElement("name")) {
      std::string name = n->GetText() ? n->GetText() : "";
      name.erase(0, name.find_first_not_of(" \t\r\n"));
      name.erase(name.find_last_not_of(" \t\r\n") + 1);
      bool loopback = false;
      bool valid = !name.empty() && name.size() <= 253 && (IsIpLiteral(name, &loopback) ||
                   name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-*") ==
                       std::string::npos);
      if (!valid) {
        Error(n, "<name>" + name + "</name> is not a DNS name or an IP address",
              "e.g. <name>mail.office.lan</name> or <name>192.168.10.5</name>");
      } else if (own_certificate) {
        Warn(n, "<name> is only used for the self-signed certificate; cert= and key= are given",
             "put the names into your certificate instead, and remove <name>");
      } else {
        result_.config.self_signed_names.push_back(name);
      }
    }
  }

  // <retention days="N"/> once (the default) and <retention user="U" days="N"/>
  // per user; <legal-hold user="U"/> per user. Users compare case-insensitively.
  void ParseRetention(const XMLElement* root) {
    RetentionSettings& r = result_.config.retention;
    const XMLElement* default_at = nullptr;
    std::vector<std::pair<std::string, int>> seen;  // lowercase user, line
    auto lower = [](std::string v) {
      for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return v;
    };
    for (const XMLElement* e = root->FirstChildElement("retention"); e; e = e->NextSiblingElement("retention")) {
      int64_t days = 0;
      if (!Attr(e, "days", true)) continue;
      if (!Integer(e, "days", 0, 36500, &days)) continue;
      auto user = Attr(e, "user", false);
      if (!user) {
        if (default_at) {
          Error(e, "<retention> without user= is given more than once",
                "keep one default (the first, at line " + std::to_string(default_at->GetLineNum()) +
                    "); per-user periods take user=\"...\"");
          continue;
        }
        default_at = e;
        r.default_days = static_cast<int>(days);
        continue;
      }
      if (user->empty()) {
        Error(e, "<retention user=\"\"> is empty", "name the archive user (the login), or drop user= for the default");
        continue;
      }
      bool duplicate = false;
      for (const auto& [name, line] : seen) {
        if (name == lower(*user)) {
          Error(e, "retention for user '" + *user + "' is given more than once",
                "keep one (the first is at line " + std::to_string(line) + ")");
          duplicate = true;
        }
      }
      if (duplicate) continue;
      seen.emplace_back(lower(*user), e->GetLineNum());
      r.users.push_back(UserRetention{*user, static_cast<int>(days), e->GetLineNum()});
    }
    for (const XMLElement* e = root->FirstChildElement("legal-hold"); e; e = e->NextSiblingElement("legal-hold")) {
      auto user = Attr(e, "user", true);
      if (!user) continue;
      if (user->empty()) {
        Error(e, "<legal-hold user=\"\"> is empty", "name the archive user whose mail must be kept");
        continue;
      }
      bool duplicate = false;
      for (const std::string& held : r.legal_hold_users) duplicate |= lower(held) == lower(*user);
      if (duplicate) {
        Warn(e, "legal hold for '" + *user + "' is given more than once", "remove the repeated line");
        continue;
      }
      r.legal_hold_users.push_back(*user);
    }
  }

  // Only checks the names; whether the account exists is checked by `mailtee
  // run` on the machine it runs on, as root (the config may be written elsewhere).
  void ParseDaemon(const XMLElement* e) {
    DaemonSettings& d = result_.config.daemon;
    d.line = e->GetLineNum();
    if (auto user = Attr(e, "user", false)) d.user = *user;
    if (auto group = Attr(e, "group", false)) d.group = *group;
    if (d.user.empty()) {
      Error(e, "<daemon user=\"\"> is empty", "name the account mailtee runs as, e.g. user=\"mailtee\"");
    } else if (d.user == "root" || d.user == "0") {
      Error(e, "<daemon user=\"" + d.user + "\">: mailtee does not run as root",
            "use a system account: useradd --system --home /var/lib/mailtee mailtee, then user=\"mailtee\"");
    }
    if (d.group == "root" || d.group == "0") {
      Error(e, "<daemon group=\"" + d.group + "\">: mailtee does not run in root's group",
            "remove group= (the user's own group is used) or name the mailtee group");
    }
  }

  void ParseLogs(const XMLElement* e) {
    int64_t days;
    if (Integer(e, "retention-days", 1, 36500, &days)) result_.config.logs.retention_days = static_cast<int>(days);
    Enum(e, "transcripts", kBooleans, &result_.config.logs.transcripts);
    if (result_.config.logs.transcripts) {
      Warn(e, "session transcripts are on", "they record message traffic (passwords masked); turn off when done");
    }
  }

  // metrics-allow="127.0.0.1/32,::1/128" (default) and metrics-token-file.
  void ParseMetricsAccess(const XMLElement* e, AdminConsole* admin) {
    std::string allow = "127.0.0.1/32,::1/128";
    if (auto text = Attr(e, "metrics-allow", false)) allow = *text;
    size_t start = 0;
    while (start <= allow.size()) {
      size_t comma = allow.find(',', start);
      std::string item = allow.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      item.erase(0, item.find_first_not_of(" \t"));
      item.erase(item.find_last_not_of(" \t") + 1);
      if (!item.empty()) {
        if (auto net = Network::Parse(item)) admin->metrics_allow.push_back(*net);
        else Error(e, "metrics-allow: '" + item + "' is not an IP network", "e.g. metrics-allow=\"127.0.0.1/32,::1/128\"");
      }
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    if (auto file = Attr(e, "metrics-token-file", false); file && !file->empty()) {
      admin->metrics_token_file = Resolve(*file);
    }
  }

  void ParseAdmin(const XMLElement* e) {
    AdminConsole admin;
    admin.line = e->GetLineNum();
    Enum(e, "enabled", kBooleans, &admin.enabled);
    if (auto address = Attr(e, "address", false)) admin.address = *address;
    bool loopback = false;
    if (!IsIpLiteral(admin.address, &loopback)) {
      Error(e, "admin address '" + admin.address + "' is not an IP address",
            "use an IP literal such as 127.0.0.1 or 0.0.0.0");
    }
    int64_t port;
    if (Integer(e, "port", 1, 65535, &port)) admin.port = static_cast<uint16_t>(port);
    if (auto users = Attr(e, "users-file", false); users && !users->empty()) admin.users_file = Resolve(*users);
    if (auto url = Attr(e, "public-url", false)) {
      admin.public_url = *url;
      if (url->rfind("https://", 0) != 0) {
        Error(e, "public-url must start with https://", "e.g. public-url=\"https://mailtee.company.example:8443\"");
      }
    }
    ParseMetricsAccess(e, &admin);
    if (admin.enabled && !loopback && admin.public_url.empty()) {
      Warn(e, "the admin console listens on " + admin.address + " without public-url",
           "set public-url to the address browsers use, so links and origin checks match");
    }
    for (const Listener& l : result_.config.listeners) {
      if (l.port == admin.port && l.address == admin.address) {
        Error(e, "admin console port " + std::to_string(admin.port) + " is taken by listener '" + l.name + "'",
              "choose another port");
      }
    }
    result_.config.admin = admin;
  }

  void ParseListener(const XMLElement* e) {
    Listener l;
    l.line = e->GetLineNum();
    if (auto name = Attr(e, "name", true)) {
      l.name = *name;
      if (name->empty()) Error(e, "<listener name=\"\"> is empty", "name it; the name appears in logs and reports");
    }
    if (!Attr(e, "protocol", true)) {
      // reported
    }
    Enum(e, "protocol", kProtocols, &l.protocol);
    if (auto address = Attr(e, "address", false)) l.address = *address;
    bool loopback = false;
    const bool address_is_ip = IsIpLiteral(l.address, &loopback);
    if (!address_is_ip) {
      Error(e, "listener address '" + l.address + "' is not an IP address",
            "use an IP literal such as 0.0.0.0, 127.0.0.1, :: or ::1");
    }
    int64_t n;
    if (!Attr(e, "port", true)) {
    } else if (Integer(e, "port", 0, 65535, &n)) {
      l.port = static_cast<uint16_t>(n);
      if (n == 0) {
        Warn(e, "listener '" + l.name + "' has port=\"0\": the system picks a free port at each start",
             "clients need a fixed port: give one (e.g. 587 for SMTP, 110 for POP3)");
      }
    }
    if (Enum(e, "tls", kTlsModes, &l.tls)) CheckPortConvention(e, "listener '" + l.name + "'", l.protocol, l.port, l.tls);
    if (e->Attribute("bare-newline") || e->Attribute("max-message-size") || e->Attribute("max-recipients")) {
      if (l.protocol == Protocol::kPop3) {
        Error(e, "bare-newline, max-message-size and max-recipients apply to SMTP listeners only",
              "remove them from this POP3 listener");
      }
    }
    Enum(e, "bare-newline", kBareNewline, &l.bare_newline);
    if (Integer(e, "max-message-size", 0, INT64_MAX, &n)) l.max_message_bytes = static_cast<uint64_t>(n);
    if (Integer(e, "max-recipients", 1, 100000, &n)) l.max_recipients = static_cast<size_t>(n);
    if (Integer(e, "max-connections-per-ip", 0, 100000, &n)) l.max_connections_per_ip = static_cast<int>(n);
    if (Integer(e, "max-connections", 0, 100000, &n)) l.max_connections = static_cast<int>(n);

    if (const XMLElement* u = Single(e, "upstream")) {
      ParseUpstream(u, l.protocol, &l);
    } else if (!embedded_) {
      Error(e, "listener '" + l.name + "' has no <upstream>",
            "add <upstream host=\"your provider\" port=\"...\" tls=\"...\"/> inside it");
    }
    const XMLElement* auth = Single(e, "auth");
    if (auth) ParseAuth(auth, &l.auth);
    for (const XMLElement* a = e->FirstChildElement("allow"); a; a = a->NextSiblingElement("allow")) {
      auto text = Attr(a, "network", true);
      if (!text) continue;
      auto net = Network::Parse(*text);
      if (!net) {
        Error(a, "'" + *text + "' is not a network", "write an address or CIDR, e.g. 192.168.1.0/24 or 2001:db8::/32");
        continue;
      }
      if (net->HasHostBits()) {
        Warn(a, "network '" + *text + "' has bits set after its /" + std::to_string(net->prefix_length) +
                    " prefix; they are ignored",
             "write the network address, e.g. 192.168.1.0/24 rather than 192.168.1.7/24");
      }
      if (net->prefix_length == 0 && l.auth.mode != AuthMode::kPassthrough) {
        Error(a, "<allow network=\"" + *text + "\"> admits every " + (net->family == AF_INET ? "IPv4" : "IPv6") +
                     " address to listener '" + l.name + "' (auth mode=\"" +
                     (l.auth.mode == AuthMode::kAccount ? "account" : "none") +
                     "\"): mailtee would be an open relay",
              "allow only the LAN devices that need it, e.g. <allow network=\"192.168.10.0/24\"/> or the "
              "scanner's own address");
      }
      l.allow.push_back(*net);
    }
    // Passthrough clients send their provider password through this leg; an
    // account listener's clients send no password, but their mail still
    // crosses the network readable by anyone on the path.
    if (l.tls == TlsMode::kNone && address_is_ip && !loopback) {
      Warn(e, "listener '" + l.name + "' has tls=\"none\" on " + l.address +
                  (l.auth.mode == AuthMode::kPassthrough ? ": passwords cross the network in clear"
                                                         : ": mail crosses the network in clear"),
           "use tls=\"starttls\" or \"implicit\", or listen on 127.0.0.1 only");
    }
    ParseRequireTls(e, &l);
    const char* mode = l.auth.mode == AuthMode::kAccount ? "account" : "none";
    if (l.auth.mode != AuthMode::kPassthrough && l.protocol == Protocol::kPop3) {
      // The POP3 session never reads <auth>: accepting it would promise a login it never makes.
      Error(auth, std::string("auth mode=\"") + mode + "\" applies to SMTP listeners only, not to POP3 listener '" +
                      l.name + "'",
            "POP3 relays the client's own login (USER/PASS, APOP, AUTH); remove <auth> from this listener");
    } else if (l.auth.mode != AuthMode::kPassthrough && e->FirstChildElement("allow") == nullptr) {
      Error(e, "listener '" + l.name + "' uses auth mode=\"" + mode + "\" without <allow>: mailtee would be an open relay",
            "add <allow network=\"...\"/> for the LAN devices that need it");
    }
    if (const XMLElement* t = Single(e, "timeouts")) {
      Seconds(t, "greeting", &l.timeouts.greeting);
      Seconds(t, "command", &l.timeouts.command);
      Seconds(t, "data-block", &l.timeouts.data_block);
      Seconds(t, "data-end", &l.timeouts.data_end);
      Seconds(t, "idle", &l.timeouts.idle);
      if (Integer(t, "line", 1, 86400, &n)) l.timeouts.line_ms = n * 1000;
      if (Integer(t, "session", 1, 7 * 86400, &n)) l.timeouts.session_ms = n * 1000;
      if (Integer(t, "min-data-rate", 0, 1'000'000'000, &n)) l.timeouts.min_data_rate = n;
    }

    // One report per listener and clash kind, so a file of many copies of one
    // listener yields a problem per copy, not per pair.
    bool name_reported = false, binding_reported = false;
    for (const Listener& other : result_.config.listeners) {
      if (!name_reported && !l.name.empty() && other.name == l.name) {
        name_reported = true;
        Error(e, "a second listener is named '" + l.name + "' (the first is at line " +
                     std::to_string(other.line) + ")",
              "give each listener its own name");
      }
      if (!binding_reported && l.port != 0 && SameBinding(l, other)) {
        binding_reported = true;
        Error(e, "listener '" + l.name + "' uses " + l.address + ":" + std::to_string(l.port) +
                     ", already taken by listener '" + other.name + "' at line " + std::to_string(other.line),
              "choose another port or address");
      }
      if (name_reported && binding_reported) break;
    }
    result_.config.listeners.push_back(std::move(l));
  }

  // require-tls="true": refuse MAIL / USER (and the other logins) before
  // STARTTLS / STLS. Only meaningful where the client can start TLS.
  void ParseRequireTls(const XMLElement* e, Listener* l) {
    if (!Enum(e, "require-tls", kBooleans, &l->require_tls) || !l->require_tls) return;
    if (l->tls == TlsMode::kNone) {
      Error(e, "listener '" + l->name + "' has require-tls=\"true\" but tls=\"none\": clients cannot start TLS",
            "use tls=\"starttls\" with require-tls, or remove require-tls");
    } else if (l->tls == TlsMode::kImplicit) {
      Warn(e, "require-tls has no effect on listener '" + l->name + "': with tls=\"implicit\" every session is TLS",
           "remove require-tls=\"true\"");
    }
  }

  void ParseUpstream(const XMLElement* e, Protocol protocol, Listener* l) {
    Upstream u;
    u.line = e->GetLineNum();
    if (auto host = Attr(e, "host", true)) {
      u.host = *host;
      if (host->empty()) Error(e, "<upstream host=\"\"> is empty", "name your provider's server");
    }
    int64_t port;
    if (Attr(e, "port", true) && Integer(e, "port", 1, 65535, &port)) u.port = static_cast<uint16_t>(port);
    // Default: TLS the way the port expects it (implicit on 465/995, STARTTLS
    // otherwise); a plaintext provider leg must be asked for with tls="none".
    u.tls = u.port == ConventionFor(protocol).implicit_port ? TlsMode::kImplicit : TlsMode::kStartTls;
    if (e->Attribute("tls") && Enum(e, "tls", kTlsModes, &u.tls)) {
      CheckPortConvention(e, "upstream", protocol, u.port, u.tls);
    }
    Enum(e, "verify", kBooleans, &u.verify);
    if (!u.verify) {
      Warn(e, "verify=\"false\": the provider's identity is not checked",
           "use verify=\"true\", with ca-file=\"...\" if the provider uses a private CA");
    }
    if (auto ca = Attr(e, "ca-file", false); ca && !ca->empty()) {
      u.ca_file = Resolve(*ca);
      const std::string why = MayOpen(e, "ca-file", u.ca_file) ? UnreadableReason(u.ca_file) : "";
      if (!why.empty()) {
        Error(e, "cannot read ca-file " + u.ca_file + ": " + why,
              "check the path (relative paths start at the config file's folder)");
      }
    }
    if (u.tls == TlsMode::kNone) {
      bool loopback = false;
      if (!(IsIpLiteral(u.host, &loopback) && loopback) && u.host != "localhost") {
        Warn(e, "tls=\"none\" to " + u.host + ": passwords cross the network to the provider in clear",
             "use tls=\"starttls\" or \"implicit\"");
      }
    }
    l->upstream = u;
  }

  void ParseAuth(const XMLElement* e, Auth* auth) {
    auth->line = e->GetLineNum();
    if (!Enum(e, "mode", kAuthModes, &auth->mode)) return;  // reported; the rest depends on the mode
    auto user = Attr(e, "user", false);
    auto password = Attr(e, "password", false);
    auto password_file = Attr(e, "password-file", false);
    if (auth->mode == AuthMode::kPassthrough) {
      if (user || password || password_file) {
        Warn(e, "user/password are ignored with mode=\"passthrough\" (clients log in themselves)",
             "remove them, or use mode=\"account\"");
      }
      return;
    }
    if (auth->mode == AuthMode::kNone) {
      if (user || password || password_file) {
        Warn(e, "user/password are ignored with mode=\"none\" (mailtee does not log in to the provider)",
             "remove them, or use mode=\"account\"");
      }
      return;
    }
    if (!user || user->empty()) Error(e, "auth mode=\"account\" needs user=\"...\"", "the provider login mailtee uses");
    if (user) auth->user = *user;
    if (password && password_file) {
      Error(e, "give either password or password-file, not both", "prefer password-file (mode 600)");
    } else if (password) {
      auth->password = *password;
      if (password->empty()) Error(e, "auth password=\"\" is empty", "give the provider password, or use password-file");
    } else if (password_file) {
      const std::string path = Resolve(*password_file);
      if (!MayOpen(e, "password-file", path)) return;
      std::string content;
      unsigned mode = 0;
      Status read = ReadSmallFile(path, kMaxPasswordFileBytes, &content, &mode);
      if (!read.ok()) {
        Error(e, "password-file: " + read.message(),
              "check the path (relative paths start at the config file's folder) and permissions");
      } else {
        // The password is the first line; a trailing newline is not part of it.
        auth->password = content.substr(0, content.find_first_of("\r\n"));
        if (auth->password.empty()) {
          Error(e, "password-file " + path + " is empty", "write the provider password on its first line");
        }
        if (mode & 077) {
          Warn(e, "password-file " + path + " is readable by group or other users", "chmod 600 " + path);
        }
      }
    } else {
      Error(e, "auth mode=\"account\" needs password-file=\"...\" (or password=\"...\")",
            "put the provider password in a file readable only by root (chmod 600)");
    }
  }

  std::string source_;
  std::string base_dir_;
  bool embedded_;
  FileAccess files_;
  LoadResult result_;
};

std::string DirName(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

std::string Problem::ToString() const {
  std::string s = file + ":" + std::to_string(line) + ": " + (warning ? "warning: " : "error: ") + message;
  if (!hint.empty()) s += " — " + hint;
  return s;
}

bool LoadResult::ok() const {
  for (const Problem& p : problems) {
    if (!p.warning) return false;
  }
  return true;
}

LoadResult LoadString(const std::string& xml, const std::string& source_name, const std::string& base_dir,
                      FileAccess files) {
  return Loader(source_name, base_dir, source_name == kEmbeddedSource, files).Run(xml);
}

LoadResult LoadFile(const std::string& path) {
  std::string text;
  Status read = ReadSmallFile(path, kMaxConfigBytes, &text);
  if (!read.ok()) {
    LoadResult r;
    r.config.source = path;
    r.problems.push_back(Problem{path, 0, "config file: " + read.message(),
                                 "check the path and that mailtee may read it", false});
    return r;
  }
  return LoadString(text, path, DirName(path));
}

LoadResult LoadEmbeddedDefault() {
  // Absolute, so that messages and the storage dir do not depend on a later chdir.
  char cwd[4096];
  const std::string base = getcwd(cwd, sizeof cwd) ? cwd : ".";
  return Loader(kEmbeddedSource, base, /*embedded=*/true).Run(EmbeddedDefaultXml());
}

}  // namespace mailtee::config
