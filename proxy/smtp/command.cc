#include "proxy/smtp/command.h"

#include <cctype>

namespace mailtee::smtp {
namespace {

struct VerbEntry {
  const char* name;
  Verb verb;
};
constexpr VerbEntry kVerbs[] = {
    {"EHLO", Verb::kEhlo}, {"HELO", Verb::kHelo}, {"MAIL", Verb::kMail},
    {"RCPT", Verb::kRcpt}, {"DATA", Verb::kData}, {"BDAT", Verb::kBdat},
    {"RSET", Verb::kRset}, {"NOOP", Verb::kNoop}, {"QUIT", Verb::kQuit},
    {"VRFY", Verb::kVrfy}, {"HELP", Verb::kHelp}, {"STARTTLS", Verb::kStartTls},
    {"AUTH", Verb::kAuth},
};

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(a[i])) != std::toupper(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

// Control characters never belong in a command line (UTF-8 >= 0x80 may, with SMTPUTF8).
bool HasControlCharacter(std::string_view s) {
  for (unsigned char c : s) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) return true;
  }
  return false;
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

ParsedCommand Fail(std::string reply) {
  ParsedCommand r;
  r.error = std::move(reply);
  return r;
}

ParsedCommand Succeed(Command c) {
  ParsedCommand r;
  r.ok = true;
  r.command = std::move(c);
  return r;
}

bool IsDomainLike(std::string_view s) {
  // EHLO argument: a domain or an address literal; we only forbid what would
  // break the line for the provider (spaces are tolerated, some clients send them).
  return !s.empty();
}

// Reads "<path>" from the start of s, honouring quoted local parts. Returns the
// number of bytes consumed (0 on error) and sets path to the inside.
size_t ReadPath(std::string_view s, std::string* path) {
  if (s.empty() || s[0] != '<') return 0;
  bool quoted = false;
  for (size_t i = 1; i < s.size(); ++i) {
    char c = s[i];
    if (quoted) {
      if (c == '\\') {
        if (++i >= s.size()) return 0;
      } else if (c == '"') {
        quoted = false;
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
    } else if (c == '>') {
      *path = std::string(s.substr(1, i - 1));
      return i + 1;
    } else if (c == ' ' || c == '<') {
      return 0;
    }
  }
  return 0;
}

bool IsKeywordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; }

// esmtp-param = esmtp-keyword ["=" esmtp-value]; value: printable, no '=' or space.
bool ParseParams(std::string_view s, std::vector<std::pair<std::string, std::string>>* out) {
  while (true) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    if (s.empty()) return true;
    size_t end = s.find(' ');
    std::string_view param = s.substr(0, end);
    s = end == std::string_view::npos ? std::string_view() : s.substr(end);
    size_t eq = param.find('=');
    std::string_view keyword = param.substr(0, eq);
    if (keyword.empty() || !std::isalnum(static_cast<unsigned char>(keyword[0]))) return false;
    for (char c : keyword)
      if (!IsKeywordChar(c)) return false;
    std::string_view value;
    if (eq != std::string_view::npos) {
      value = param.substr(eq + 1);
      if (value.empty()) return false;
      for (char c : value)
        if (c == '=') return false;
    }
    out->emplace_back(Upper(keyword), std::string(value));
  }
}

bool AllDigits(std::string_view s, size_t max_len) {
  if (s.empty() || s.size() > max_len) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

std::string CheckMailParams(const Command& c) {
  for (const auto& [key, value] : c.params) {
    if (key == "SIZE") {
      if (!AllDigits(value, 20)) return "501 5.5.4 Syntax: SIZE=<number>";
    } else if (key == "BODY") {
      std::string v = Upper(value);
      // RFC 3030 BINARYMIME is never advertised: its bytes would skip the bare
      // LF/CR check that keeps the archive equal to what the provider stores.
      if (v == "BINARYMIME")
        return "555 5.5.4 BODY=BINARYMIME is not offered here; send the message as 7BIT or 8BITMIME";
      if (v != "7BIT" && v != "8BITMIME") return "501 5.5.4 Syntax: BODY=7BIT|8BITMIME";
    } else if (key == "SMTPUTF8") {
      if (!value.empty()) return "501 5.5.4 Syntax: SMTPUTF8 takes no value";
    } else if (key == "RET") {
      std::string v = Upper(value);
      if (v != "FULL" && v != "HDRS") return "501 5.5.4 Syntax: RET=FULL|HDRS";
    } else if (key == "ENVID" || key == "AUTH") {
      if (value.empty()) return "501 5.5.4 Syntax: " + key + "=<value>";
    } else {
      return "555 5.5.4 unsupported MAIL parameter " + key;
    }
  }
  return "";
}

std::string CheckRcptParams(const Command& c) {
  for (const auto& [key, value] : c.params) {
    if (key == "NOTIFY") {
      std::string v = Upper(value);
      if (v != "NEVER") {
        size_t start = 0;
        while (start <= v.size()) {
          size_t comma = v.find(',', start);
          std::string item = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
          if (item != "SUCCESS" && item != "FAILURE" && item != "DELAY")
            return "501 5.5.4 Syntax: NOTIFY=NEVER|SUCCESS,FAILURE,DELAY";
          if (comma == std::string::npos) break;
          start = comma + 1;
        }
      }
    } else if (key == "ORCPT") {
      if (value.find(';') == std::string::npos) return "501 5.5.4 Syntax: ORCPT=addr-type;address";
    } else {
      return "555 5.5.4 unsupported RCPT parameter " + key;
    }
  }
  return "";
}

ParsedCommand ParseMailOrRcpt(Verb verb, std::string_view rest) {
  const bool mail = verb == Verb::kMail;
  const char* syntax = mail ? "501 5.5.4 Syntax: MAIL FROM:<address>" : "501 5.5.4 Syntax: RCPT TO:<address>";
  std::string_view keyword = mail ? "FROM:" : "TO:";
  if (rest.size() < keyword.size() || !IEquals(rest.substr(0, keyword.size()), keyword)) return Fail(syntax);
  rest.remove_prefix(keyword.size());
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);  // "MAIL FROM: <a>" is common
  Command c;
  c.verb = verb;
  size_t used = ReadPath(rest, &c.path);
  if (used == 0) return Fail(syntax);
  if (!mail && c.path.empty()) return Fail("501 5.1.3 null recipient address not allowed");
  rest.remove_prefix(used);
  if (!rest.empty() && rest.front() != ' ') return Fail(syntax);
  if (!ParseParams(rest, &c.params)) return Fail("501 5.5.4 Syntax: malformed parameters");
  std::string err = mail ? CheckMailParams(c) : CheckRcptParams(c);
  if (!err.empty()) return Fail(err);
  return Succeed(std::move(c));
}

bool IsMechanismChar(char c) {
  return std::isupper(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
         c == '-' || c == '_';
}

bool IsBase64OrEquals(std::string_view s) {
  if (s == "=") return true;
  if (s.empty()) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=')) return false;
  }
  return true;
}

}  // namespace

const char* VerbName(Verb verb) {
  for (const auto& e : kVerbs)
    if (e.verb == verb) return e.name;
  return "?";
}

const std::string* Command::FindParam(std::string_view keyword) const {
  for (const auto& p : params)
    if (p.first == keyword) return &p.second;
  return nullptr;
}

std::string Command::ToWire() const {
  std::string out = VerbName(verb);
  switch (verb) {
    case Verb::kMail:
    case Verb::kRcpt:
      out += verb == Verb::kMail ? " FROM:<" : " TO:<";
      out += path;
      out += '>';
      for (const auto& [key, value] : params) {
        out += ' ';
        out += key;
        if (!value.empty()) {
          out += '=';
          out += value;
        }
      }
      break;
    case Verb::kBdat:
      out += ' ' + std::to_string(chunk_size);
      if (last) out += " LAST";
      break;
    case Verb::kAuth:
      out += ' ' + argument;
      if (initial_response) out += ' ' + *initial_response;
      break;
    default:
      if (!argument.empty()) out += ' ' + argument;
  }
  out += "\r\n";
  return out;
}

ParsedCommand ParseCommand(std::string_view line) {
  if (HasControlCharacter(line)) return Fail("500 5.5.2 invalid character in command");
  size_t space = line.find(' ');
  std::string_view word = line.substr(0, space);
  std::string_view rest = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
  const VerbEntry* entry = nullptr;
  for (const auto& e : kVerbs)
    if (IEquals(word, e.name)) entry = &e;
  if (!entry) return Fail("500 5.5.2 command not recognized");

  Command c;
  c.verb = entry->verb;
  std::string_view arg = TrimSpaces(rest);
  switch (c.verb) {
    case Verb::kEhlo:
    case Verb::kHelo:
      if (!IsDomainLike(arg)) return Fail(std::string("501 5.5.4 Syntax: ") + entry->name + " hostname");
      c.argument = std::string(arg);
      return Succeed(std::move(c));
    case Verb::kMail:
    case Verb::kRcpt:
      return ParseMailOrRcpt(c.verb, rest);
    case Verb::kData:
    case Verb::kRset:
    case Verb::kQuit:
    case Verb::kStartTls:
      if (!arg.empty()) return Fail(std::string("501 5.5.4 Syntax: ") + entry->name);
      return Succeed(std::move(c));
    case Verb::kNoop:
    case Verb::kHelp:
      c.argument = std::string(arg);
      return Succeed(std::move(c));
    case Verb::kVrfy:
      if (arg.empty()) return Fail("501 5.5.4 Syntax: VRFY address");
      c.argument = std::string(arg);
      return Succeed(std::move(c));
    case Verb::kBdat: {
      const char* syntax = "501 5.5.4 Syntax: BDAT chunk-size [LAST]";
      size_t sp = arg.find(' ');
      std::string_view size = arg.substr(0, sp);
      if (!AllDigits(size, 18)) return Fail(syntax);
      c.chunk_size = std::stoull(std::string(size));
      if (sp != std::string_view::npos) {
        if (!IEquals(TrimSpaces(arg.substr(sp + 1)), "LAST")) return Fail(syntax);
        c.last = true;
      }
      return Succeed(std::move(c));
    }
    case Verb::kAuth: {
      const char* syntax = "501 5.5.4 Syntax: AUTH mechanism [initial-response]";
      size_t sp = arg.find(' ');
      std::string mech = Upper(arg.substr(0, sp));
      if (mech.empty() || mech.size() > 20) return Fail(syntax);
      for (char ch : mech)
        if (!IsMechanismChar(ch)) return Fail(syntax);
      c.argument = mech;
      if (sp != std::string_view::npos) {
        std::string_view ir = TrimSpaces(arg.substr(sp + 1));
        if (!IsBase64OrEquals(ir)) return Fail(syntax);
        c.initial_response = std::string(ir);
      }
      return Succeed(std::move(c));
    }
  }
  return Fail("500 5.5.2 command not recognized");
}

}  // namespace mailtee::smtp
