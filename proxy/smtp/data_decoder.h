// DataDecoder: the SMTP DATA body, byte by byte, resumable across reads.
//
// In:  raw client bytes after the 354 (any chunking).
// Out: (1) archive bytes: the message dot-unstuffed, CRLF line ends;
//      (2) upstream bytes: the same message re-dot-stuffed canonically — the
//          caller sends kEndOfData itself once the spool is sealed.
// The archive bytes are therefore exactly what the provider will store.
//
// End of data is recognised ONLY at <CRLF>.<CRLF> (or "." CRLF as the very
// first line). Bare LF / bare CR anywhere (SMTP smuggling: "\n.\n", "\r.\r",
// "\n.\r\n", ...):
//   kReject:    output stops, input is consumed up to the real end of data,
//               rejected() is true; the session answers 550 5.6.11.
//   kNormalize: each bare LF / bare CR becomes CRLF in both outputs. A line
//               reduced to "." this way is content, never an end of data: it
//               is archived as "." and sent upstream as "..".
// RFC 5321 §4.5.2: a leading "." is removed from any line with more characters.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "config/config.h"

namespace mailtee::smtp {

constexpr std::string_view kEndOfData = ".\r\n";

class DataDecoder {
 public:
  explicit DataDecoder(config::BareNewline policy) : policy_(policy) {}

  // Consumes input up to and including the end-of-data line (bytes after it
  // are not consumed: they are the client's next commands). Appends to both
  // outputs. Returns bytes consumed.
  size_t Decode(std::string_view input, std::string* archive, std::string* upstream);

  bool done() const { return state_ == State::kDone; }
  bool rejected() const { return rejected_; }        // kReject saw a bare LF/CR
  bool normalized() const { return normalized_; }    // kNormalize rewrote something
  uint64_t archive_bytes() const { return archive_bytes_; }

 private:
  enum class State { kLineStart, kDot, kDotCr, kText, kCr, kDone };
  enum class Drain { kText, kCr, kLineStart, kDot, kDotCr };

  void Emit(char c, std::string* archive, std::string* upstream);
  void EmitCrlf(std::string* archive, std::string* upstream);
  // Bare LF or CR seen: false when the policy is reject (state switches to draining).
  bool OnBareNewline(Drain resume_in);
  bool DrainByte(char c);  // true at the real end of data

  config::BareNewline policy_;
  State state_ = State::kLineStart;
  bool strict_line_start_ = true;   // line start reached through a real CRLF
  bool content_line_start_ = true;  // next emitted byte begins an output line
  bool rejected_ = false;
  bool normalized_ = false;
  Drain drain_ = Drain::kText;
  uint64_t archive_bytes_ = 0;
};

// Watches BDAT chunk bytes (which have no dot handling) for bare LF / bare CR,
// across chunk boundaries. Under BODY=BINARYMIME the caller does not use it.
class BareNewlineScanner {
 public:
  // Returns false once a bare LF/CR has been seen (sticky).
  bool Scan(std::string_view bytes);
  // At the end of the message: a final CR with no LF is bare too.
  bool Finish();
  bool clean() const { return clean_; }

 private:
  bool saw_cr_ = false;
  bool clean_ = true;
};

}  // namespace mailtee::smtp
