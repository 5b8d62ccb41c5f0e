// LineReader: a resumable, byte-wise SMTP command line splitter (after nginx's
// ngx_mail_parse.c: the state survives between reads, nothing is re-scanned).
//
// Feed() consumes input only up to the end of ONE line and then stops, so the
// caller can change mode (DATA body, STARTTLS) without the reader swallowing
// bytes that belong to the next phase. The line is held in a buffer bounded by
// max_line; a longer line is discarded up to its LF and reported as kTooLong
// (RFC 5321 §4.5.3.1.4 allows 512 octets; we accept up to max_line).
// A bare LF ends a line but is reported; a bare CR inside a line is reported.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mailtee::smtp {

constexpr size_t kMaxCommandLine = 2048;  // generous: RFC 5321 says 512 incl. CRLF

class LineReader {
 public:
  enum class Kind { kNeedMore, kLine, kTooLong };
  struct Event {
    Kind kind = Kind::kNeedMore;
    std::string_view line;   // without the line end; valid until the next Feed/Reset
    bool bare_lf = false;    // the line ended with LF not preceded by CR
    bool bare_cr = false;    // a CR not followed by LF appeared inside the line
  };

  explicit LineReader(size_t max_line = kMaxCommandLine) : max_line_(max_line) {}

  // Consumes bytes of input until one line is complete (returns how many were
  // consumed; event->kind says whether a line is ready) or input is exhausted.
  size_t Feed(std::string_view input, Event* event);
  // Forgets any partial line (STARTTLS: pipelined plaintext must not survive).
  void Reset();
  // Zeroes the buffer of the line last handed out (it held a SASL secret).
  void WipeLastLine();
  bool has_partial_line() const { return !line_.empty() || state_ != State::kText; }

 private:
  enum class State { kText, kSawCr, kDiscarding, kDiscardingSawCr };
  void Append(char c);
  size_t max_line_;
  State state_ = State::kText;
  std::string line_;
  std::string ready_;  // the line handed out by the last event
  bool bare_cr_ = false;
};

}  // namespace mailtee::smtp
