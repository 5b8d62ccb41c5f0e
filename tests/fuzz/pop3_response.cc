// Fuzzes the provider side of the POP3 proxy: the response framer. The first
// bytes choose the expected response shapes (as pipelined commands would) and
// the read size; the rest is the provider's stream. Checks the invariants the
// session relies on: raw output is exactly the input consumed, and for a
// finished multi-line response the unstuffed body re-stuffed is the raw body.
// Every status line is also taken as a greeting: of it, only a printable
// <...@...> APOP timestamp may reach the client (greeting.h).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/pop3/capa_filter.h"
#include "proxy/pop3/greeting.h"
#include "proxy/pop3/response_framer.h"

namespace {

void CheckGreeting(std::string_view line) {
  const std::string stamp = mailtee::pop3::ApopTimestamp(line);
  if (stamp.empty()) return;
  if (stamp.size() > mailtee::pop3::kMaxApopTimestamp || stamp.front() != '<' || stamp.back() != '>') __builtin_trap();
  for (char c : stamp) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7e) __builtin_trap();
  }
  if (std::count(stamp.begin(), stamp.end(), '@') != 1 || line.find(stamp) == std::string_view::npos) __builtin_trap();
}

struct Checker : mailtee::pop3::ResponseHandler {
  std::string raw;
  std::string body;
  std::string response_raw;
  bool multiline = false;
  void OnStatus(mailtee::pop3::StatusKind, std::string_view line, bool m) override {
    CheckGreeting(line);
    multiline = m;
    body.clear();
    response_raw.clear();
  }
  void OnRaw(std::string_view r) override {
    raw += r;
    response_raw += r;
  }
  void OnBody(std::string_view d) override {
    if (!multiline) __builtin_trap();
    body += d;
  }
  void OnComplete(mailtee::pop3::StatusKind) override {
    if (!multiline) return;
    // Unstuffed bytes are never longer than the raw response.
    if (body.size() > response_raw.size()) __builtin_trap();
    // The CAPA filter must cope with any body.
    (void)mailtee::pop3::FilterCapabilities(body, {true, false});
    (void)mailtee::pop3::HasCapability(body, "UIDL");
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mailtee::pop3;
  if (size < 2) return 0;
  ResponseFramer framer;
  unsigned shapes = data[0];
  for (int i = 0; i < 4; ++i) framer.Expect(static_cast<ResponseShape>((shapes >> (2 * i)) % 3));
  size_t step = data[1] % 16 + 1;
  std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);
  Checker checker;
  size_t fed = 0;
  while (fed < input.size()) {
    std::string_view piece = input.substr(fed, step);
    size_t used = 0;
    if (!framer.Feed(piece, &checker, &used).ok()) break;
    if (used == 0 && framer.has_pending()) __builtin_trap();
    if (used == 0) break;
    fed += used;
    // Raw output lags only by a partial status line; between responses it is exact.
    if (input.substr(0, fed).substr(0, checker.raw.size()) != checker.raw) __builtin_trap();
    if (!framer.mid_response() && checker.raw != input.substr(0, fed)) __builtin_trap();
  }
  return 0;
}
