// Small text helpers and limits shared by the SmtpSession source files
// (smtp_session*.cc). Internal to proxy/smtp.
#pragma once

#include <unistd.h>

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/smtp/reply.h"

namespace mailtee::smtp::session_detail {

inline constexpr size_t kMaxInbox = 256 << 10;      // unparsed client bytes before we stop reading
inline constexpr size_t kMaxPendingCommands = 100; // pipelined commands awaiting replies before we stop parsing
inline constexpr size_t kDecodeSlice = 64 << 10;    // DATA bytes decoded per step (bounds the output buffers)
inline constexpr size_t kMaxDeferredReplies = 8;   // provider replies kept while a verdict is committed

// Read once per process (a reload re-executes the binary): it was a uname(2)
// per SMTP session.
inline const std::string& HostName() {
  static const std::string name = [] {
    char buf[256] = {};
    if (gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return std::string("mailtee");
    return std::string(buf);
  }();
  return name;
}

inline bool IsBase64Line(std::string_view s) {
  if (s == "*" || s == "=") return true;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=')) return false;
  return true;
}

inline std::string ToUpper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

inline std::string JoinRecipients(const std::vector<std::string>& rcpts) {
  std::string out;
  for (const auto& r : rcpts) {
    if (!out.empty()) out += ',';
    out += r;
  }
  return out;
}

// MAIL SIZE=<digits> (the parser checked the digits, up to 20 of them) above limit.
inline bool DeclaredSizeExceeds(std::string_view digits, uint64_t limit) {
  uint64_t n = 0;
  for (char c : digits) {
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (n > (UINT64_MAX - d) / 10) return true;  // more than any limit
    n = n * 10 + d;
  }
  return n > limit;
}

// One line of the provider's reply for log files.
inline std::string OneLine(const Reply& reply) {
  std::string t = reply.Text();
  for (char& c : t)
    if (c == '\n' || c == '\r') c = ' ';
  return t;
}

}  // namespace mailtee::smtp::session_detail
