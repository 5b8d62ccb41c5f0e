// SMTP command parsing (RFC 5321 §4.1, RFC 1870 SIZE, RFC 6152 8BITMIME,
// RFC 3030 CHUNKING/BINARYMIME, RFC 6531 SMTPUTF8, RFC 3461 DSN, RFC 4954 AUTH).
// Pure: a line in (without CRLF), a typed Command or the exact error reply out.
// The session relays Command::ToWire(), a canonical re-serialisation of what
// was understood, never the raw client line: what the provider sees is exactly
// what mailtee validated (no parser differentials between us and the provider).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mailtee::smtp {

enum class Verb {
  kEhlo, kHelo, kMail, kRcpt, kData, kBdat, kRset, kNoop, kQuit, kVrfy, kHelp,
  kStartTls, kAuth,
};
const char* VerbName(Verb verb);

struct Command {
  Verb verb = Verb::kNoop;
  std::string argument;   // EHLO/HELO domain, VRFY/HELP/NOOP text, AUTH mechanism (upper case)
  std::string path;       // MAIL/RCPT: the address between < and >, verbatim ("" = null sender)
  // MAIL/RCPT ESMTP parameters in order: keyword upper-cased, value verbatim
  // (empty for keywords without '=', e.g. SMTPUTF8).
  std::vector<std::pair<std::string, std::string>> params;
  uint64_t chunk_size = 0;                  // BDAT
  bool last = false;                        // BDAT ... LAST
  std::optional<std::string> initial_response;  // AUTH mech <initial-response> ("=" = empty)

  const std::string* FindParam(std::string_view keyword) const;  // keyword upper case
  // The line to send upstream, with CRLF.
  std::string ToWire() const;
};

struct ParsedCommand {
  bool ok = false;
  Command command;
  std::string error;  // when !ok: the full reply line without CRLF, e.g. "501 5.5.4 Syntax: MAIL FROM:<address>"
};

ParsedCommand ParseCommand(std::string_view line);

}  // namespace mailtee::smtp
