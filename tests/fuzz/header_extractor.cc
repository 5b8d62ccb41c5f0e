// Fuzzes MessageAnalyzer: the input is fed in chunk sizes derived from its
// own bytes, and the result must equal the one-shot analysis (streaming must
// not depend on chunk boundaries); decoded strings must be valid UTF-8.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "archive/charset.h"
#include "archive/message_summary.h"

using mailtee::archive::MessageAnalyzer;
using mailtee::archive::MessageSummary;

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void CheckUtf8(const MessageSummary& s) {
  for (const auto* list : {&s.from, &s.to, &s.cc})
    for (const auto& a : *list) Check(mailtee::archive::IsValidUtf8(a));
  Check(mailtee::archive::IsValidUtf8(s.subject));
  for (const auto& a : s.attachments) {
    Check(mailtee::archive::IsValidUtf8(a.name));
    Check(mailtee::archive::IsValidUtf8(a.type));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);

  MessageAnalyzer whole;
  whole.Feed(input);
  MessageSummary a = whole.Finish();

  MessageAnalyzer chunked;
  size_t pos = 0, i = 0;
  while (pos < input.size()) {
    size_t n = 1 + static_cast<uint8_t>(input[i++ % input.size()]) % 17;
    chunked.Feed(input.substr(pos, n));
    pos += n;
  }
  MessageSummary b = chunked.Finish();

  Check(a.size == size && b.size == size);
  Check(a.sha256_hex == b.sha256_hex);
  Check(a.from == b.from && a.to == b.to && a.cc == b.cc);
  Check(a.subject == b.subject && a.message_id == b.message_id && a.date == b.date);
  Check(a.headers_complete == b.headers_complete);
  Check(a.attachments.size() == b.attachments.size());
  for (size_t k = 0; k < a.attachments.size(); ++k) {
    Check(a.attachments[k].name == b.attachments[k].name);
    Check(a.attachments[k].size == b.attachments[k].size);
    Check(a.attachments[k].type == b.attachments[k].type);
  }
  CheckUtf8(a);
  return 0;
}
