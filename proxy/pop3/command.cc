#include "proxy/pop3/command.h"

#include <cctype>
#include <vector>

namespace mailtee::pop3 {
namespace {

struct VerbEntry {
  const char* keyword;
  Verb verb;
};

constexpr VerbEntry kVerbs[] = {
    {"USER", Verb::kUser}, {"PASS", Verb::kPass}, {"APOP", Verb::kApop}, {"AUTH", Verb::kAuth},
    {"CAPA", Verb::kCapa}, {"STLS", Verb::kStls}, {"STAT", Verb::kStat}, {"LIST", Verb::kList},
    {"UIDL", Verb::kUidl}, {"RETR", Verb::kRetr}, {"TOP", Verb::kTop},   {"DELE", Verb::kDele},
    {"NOOP", Verb::kNoop}, {"RSET", Verb::kRset}, {"QUIT", Verb::kQuit},
};

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string_view> SplitSpaces(std::string_view text) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    size_t start = i;
    while (i < text.size() && text[i] != ' ') ++i;
    if (i > start) parts.push_back(text.substr(start, i - start));
  }
  return parts;
}

// RFC 1939 message numbers: decimal, >= 1; at most 9 digits so they fit uint32_t.
bool ParseNumber(std::string_view text, bool allow_zero, uint32_t* out) {
  if (text.empty() || text.size() > 9) return false;
  uint32_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  if (value == 0 && !allow_zero) return false;
  *out = value;
  return true;
}

}  // namespace

const char* VerbName(Verb verb) {
  for (const auto& entry : kVerbs) {
    if (entry.verb == verb) return entry.keyword;
  }
  return "UNKNOWN";
}

bool IsLoginCommand(Verb verb) {
  return verb == Verb::kUser || verb == Verb::kPass || verb == Verb::kApop || verb == Verb::kAuth;
}

bool HasControlCharacter(std::string_view text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

Status ParseCommand(std::string_view line, Command* out) {
  *out = Command();
  if (HasControlCharacter(line)) return Status::Error(kInvalidCharacterError);
  size_t space = line.find(' ');
  std::string keyword = Upper(line.substr(0, space));
  if (space != std::string_view::npos) out->argument = std::string(line.substr(space + 1));
  for (const auto& entry : kVerbs) {
    if (keyword == entry.keyword) out->verb = entry.verb;
  }
  if (out->verb == Verb::kUnknown) {
    if (keyword.empty()) return Status::Error("empty command");
    return Status::Error("unknown command");
  }
  std::vector<std::string_view> args = SplitSpaces(out->argument);
  switch (out->verb) {
    case Verb::kCapa: case Verb::kStls: case Verb::kStat: case Verb::kNoop:
    case Verb::kRset: case Verb::kQuit:
      if (!args.empty()) return Status::Error(std::string(VerbName(out->verb)) + " takes no argument");
      return Status::Ok();
    case Verb::kUser:
      if (args.empty()) return Status::Error("USER needs a name");
      out->name = out->argument;
      return Status::Ok();
    case Verb::kPass:
      // Passwords may legitimately contain spaces: the whole remainder is relayed.
      if (space == std::string_view::npos) return Status::Error("PASS needs a password");
      return Status::Ok();
    case Verb::kApop:
      if (args.size() != 2) return Status::Error("APOP needs a name and a digest");
      out->name = std::string(args[0]);
      out->digest = std::string(args[1]);
      return Status::Ok();
    case Verb::kAuth:
      // RFC 1734's argument-less AUTH answers multi-line; clients should use CAPA.
      if (args.empty()) return Status::Error("AUTH needs a mechanism (see CAPA)");
      if (args.size() > 2) return Status::Error("AUTH takes a mechanism and an optional initial response");
      out->name = Upper(args[0]);
      if (args.size() == 2) out->digest = std::string(args[1]);
      return Status::Ok();
    case Verb::kList: case Verb::kUidl:
      if (args.size() > 1) return Status::Error(std::string(VerbName(out->verb)) + " takes at most one message number");
      if (args.size() == 1) {
        if (!ParseNumber(args[0], false, &out->number)) return Status::Error("invalid message number");
        out->has_number = true;
      }
      return Status::Ok();
    case Verb::kRetr: case Verb::kDele:
      if (args.size() != 1 || !ParseNumber(args[0], false, &out->number)) {
        return Status::Error(std::string(VerbName(out->verb)) + " needs one message number");
      }
      out->has_number = true;
      return Status::Ok();
    case Verb::kTop:
      if (args.size() != 2 || !ParseNumber(args[0], false, &out->number) ||
          !ParseNumber(args[1], true, &out->lines)) {
        return Status::Error("TOP needs a message number and a line count");
      }
      out->has_number = true;
      return Status::Ok();
    case Verb::kUnknown:
      break;
  }
  return Status::Error("unknown command");
}

}  // namespace mailtee::pop3
