// Fuzzes the provider-reply parser and the EHLO capability filter: arbitrary
// chunking yields the same replies; what reaches the client after filtering
// never advertises an extension outside the allowed set.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/smtp/capabilities.h"
#include "proxy/smtp/reply.h"

namespace {

std::vector<std::string> ParseAll(std::string_view input, size_t step, bool* failed) {
  mailtee::smtp::ReplyParser parser;
  std::vector<std::string> out;
  *failed = false;
  while (!input.empty()) {
    std::string_view chunk = input.substr(0, step);
    size_t used = 0;
    bool complete = false;
    mailtee::smtp::Reply reply;
    mailtee::Status s = parser.Feed(chunk, &used, &complete, &reply);
    if (!s.ok()) {
      *failed = true;
      break;
    }
    if (used == 0 || used > chunk.size()) abort();
    input.remove_prefix(used);
    if (complete) {
      if (reply.code < 200 || reply.code > 599 || reply.lines.empty()) abort();
      std::string wire = reply.ToWire();
      out.push_back(wire);
      mailtee::smtp::Reply filtered = mailtee::smtp::FilterEhloReply(reply, {.offer_starttls = false, .offer_auth = true});
      for (size_t i = 1; i < filtered.lines.size(); ++i) {
        const std::string& l = filtered.lines[i];
        if (l.find("STARTTLS") != std::string::npos || l.find("XCLIENT") != std::string::npos) abort();
      }
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t step = 1 + data[0] % 11;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  bool failed_whole, failed_pieces;
  auto whole = ParseAll(input, input.size() + 1, &failed_whole);
  auto pieces = ParseAll(input, step, &failed_pieces);
  if (failed_whole != failed_pieces || whole != pieces) abort();
  return 0;
}
