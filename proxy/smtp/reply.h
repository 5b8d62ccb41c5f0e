// SMTP replies (RFC 5321 §4.2): the value, its wire form, and a resumable
// parser for the provider's replies ("250-a", "250-b", "250 c"), which may
// arrive split across any number of reads.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "config/status.h"

namespace mailtee::smtp {

struct Reply {
  int code = 0;
  std::vector<std::string> lines;  // text after "NNN-" / "NNN ", one per line (at least one)

  Reply() = default;
  Reply(int c, std::string text) : code(c), lines{std::move(text)} {}
  // "250-a\r\n250 b\r\n"
  std::string ToWire() const;
  // All lines joined with "\n" after the code, for logs and archive outcomes.
  std::string Text() const;
  int klass() const { return code / 100; }   // 2, 3, 4, 5
  bool positive() const { return code >= 200 && code < 400; }
  // "5.7.8" when the first line starts with an RFC 3463 enhanced status code, else "".
  std::string EnhancedCode() const;
};

// Parses one reply from its single-line wire form ("421 4.4.2 timeout") — for
// replies mailtee writes itself.
Reply MakeReply(std::string_view line);

class ReplyParser {
 public:
  static constexpr size_t kMaxLine = 4096;   // RFC: 512; providers are sometimes chatty
  static constexpr size_t kMaxLines = 256;

  // Consumes bytes until one whole reply is parsed or input is exhausted.
  // Returns the number of bytes consumed; *complete says whether *reply is
  // ready. A malformed reply yields an error (the caller drops the upstream).
  Status Feed(std::string_view input, size_t* consumed, bool* complete, Reply* reply);
  void Reset();
  bool idle() const { return line_.empty() && pending_.lines.empty() && !saw_cr_; }

 private:
  Status TakeLine(bool* complete, Reply* reply);
  std::string line_;
  bool saw_cr_ = false;
  Reply pending_;
};

}  // namespace mailtee::smtp
