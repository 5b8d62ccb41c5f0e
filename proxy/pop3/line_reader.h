// LineReader: resumable, bounded splitter for client lines (commands and SASL
// responses). Byte-wise state survives between reads (nginx ngx_mail_parse.c).
//
// Next() consumes input only up to the end of ONE line and stops, so the session
// can change mode (SASL exchange, STLS) before the following bytes are parsed.
// A line longer than the limit is skipped through its LF and reported once as
// kTooLong, so its tail never becomes a command. LF ends a line; a CR before it
// is stripped. Any other CR (or NUL, ...) stays in the line so that the caller
// refuses it (HasControlCharacter) instead of silently splitting it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mailtee::pop3 {

// RFC 2449 §4 allows 255 octets per command; be generous.
constexpr size_t kMaxCommandLine = 1024;
// SASL responses (RFC 5034) are base64 and can be longer than a command.
constexpr size_t kMaxSaslLine = 8192;

class LineReader {
 public:
  enum class Result { kNeedMore, kLine, kTooLong };

  // Consumes bytes; *consumed says how many. On kLine, line() holds the line
  // without its CRLF until the next call.
  Result Next(std::string_view input, size_t max_line, size_t* consumed);
  const std::string& line() const { return line_; }
  // Forgets a partial line (STLS: pipelined plaintext must not survive).
  void Reset();
  bool has_partial_line() const { return !partial_.empty() || skipping_; }

 private:
  std::string partial_;
  std::string line_;
  bool skipping_ = false;  // inside an over-long line
};

}  // namespace mailtee::pop3
