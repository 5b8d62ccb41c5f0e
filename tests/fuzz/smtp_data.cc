// Fuzzes the DATA decoder under both bare-newline policies and arbitrary
// chunking. Invariants: the upstream bytes never contain an end of data before
// ours; all line ends in the outputs are CRLF; archive == unstuff(upstream);
// chunking never changes the result.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proxy/smtp/data_decoder.h"

namespace {

struct Result {
  std::string archive, upstream;
  size_t consumed = 0;
  bool done = false, rejected = false;
};

Result Decode(std::string_view input, mailtee::config::BareNewline policy, size_t step) {
  mailtee::smtp::DataDecoder d(policy);
  Result r;
  while (!input.empty() && !d.done()) {
    std::string_view chunk = input.substr(0, step);
    size_t used = d.Decode(chunk, &r.archive, &r.upstream);
    r.consumed += used;
    input.remove_prefix(used);
  }
  r.done = d.done();
  r.rejected = d.rejected();
  return r;
}

void CheckCrlfOnly(const std::string& s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) abort();
    if (s[i] == '\r' && (i + 1 == s.size() || s[i + 1] != '\n')) abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t step = 1 + data[0] % 13;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  for (auto policy : {mailtee::config::BareNewline::kReject, mailtee::config::BareNewline::kNormalize}) {
    Result whole = Decode(input, policy, input.size() + 1);
    Result pieces = Decode(input, policy, step);
    if (whole.archive != pieces.archive || whole.upstream != pieces.upstream ||
        whole.consumed != pieces.consumed || whole.done != pieces.done || whole.rejected != pieces.rejected)
      abort();
    if (policy == mailtee::config::BareNewline::kNormalize && whole.rejected) abort();
    if (!whole.rejected) CheckCrlfOnly(whole.upstream);
    // No end of data inside what we send upstream.
    if (("\r\n" + whole.upstream).find("\r\n.\r\n") != std::string::npos) abort();
    // Unstuffing the upstream bytes gives the archive bytes.
    std::string unstuffed;
    bool line_start = true;
    for (size_t i = 0; i < whole.upstream.size(); ++i) {
      char c = whole.upstream[i];
      if (line_start && c == '.') {
        line_start = false;
        continue;  // every upstream line starting with '.' was stuffed
      }
      unstuffed.push_back(c);
      line_start = c == '\n';
    }
    if (unstuffed != whole.archive) abort();
  }
  return 0;
}
