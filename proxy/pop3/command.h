// POP3 client commands (RFC 1939, 2449 CAPA, 2595 STLS, 5034 AUTH): the pure
// syntax layer. ParseCommand turns one line (CRLF already stripped) into a typed
// Command or says why the line is refused.
//
// The proxy refuses malformed commands itself instead of relaying them, because
// the response shape (single- or multi-line) of LIST/UIDL/RETR/TOP depends on
// their arguments: a command the proxy cannot classify could desynchronise the
// response framer. Unknown verbs are refused for the same reason (an extension
// such as XTND may answer multi-line).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "config/status.h"

namespace mailtee::pop3 {

enum class Verb {
  kUser, kPass, kApop, kAuth, kCapa, kStls, kStat, kList, kUidl, kRetr, kTop,
  kDele, kNoop, kRset, kQuit, kUnknown
};

const char* VerbName(Verb verb);  // "USER", ...

// True for the commands that carry credentials (refused before TLS).
bool IsLoginCommand(Verb verb);

struct Command {
  Verb verb = Verb::kUnknown;
  std::string argument;         // raw text after the keyword and its space (PASS may contain spaces)
  // Parsed arguments, by verb:
  //   USER: name = argument; APOP: name + digest; AUTH: name = mechanism (upper-cased),
  //   digest = initial response (may be empty, "=" means an empty response).
  std::string name;
  std::string digest;
  bool has_number = false;      // LIST/UIDL with a message number; always for RETR/TOP/DELE
  uint32_t number = 0;          // message number (>= 1)
  uint32_t lines = 0;           // TOP only
};

// True if text holds any byte below 0x20 (CR, LF, NUL, TAB, ...) or 0x7F.
// Such a line is never relayed: a provider that ends lines at a bare CR would
// see a second command mailtee never parsed (command injection), and a log
// line built from it could carry a password (e.g. "USER a\rPASS x").
bool HasControlCharacter(std::string_view text);

// Error text ParseCommand gives for a line with a control character.
inline constexpr const char kInvalidCharacterError[] = "invalid character in command";

// line: one client line without CRLF. Errors are the text for "-ERR <text>";
// a line with a control character is refused before anything else is parsed
// (out->verb stays kUnknown, so nothing of the line reaches a log).
Status ParseCommand(std::string_view line, Command* out);

}  // namespace mailtee::pop3
