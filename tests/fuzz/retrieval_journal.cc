// Fuzzes the retrieval journal's line parser (archive/retrieval_journal.h):
// ParseRetrievalLine on arbitrary input must not crash, a record it accepts
// must serialize back to a line that parses to the same record, and any
// fetch (fields split from the input at '|') must round-trip exactly, as one
// line with nothing but its final '\n'.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "archive/retrieval_journal.h"

using namespace mailtee::archive;

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void CheckRoundTrip(const Retrieval& r) {
  const std::string line = SerializeRetrievalRecord(r);
  Check(!line.empty() && line.find('\n') == line.size() - 1);
  RetrievalRecord back;
  Check(ParseRetrievalLine(std::string_view(line).substr(0, line.size() - 1), &back));
  Check(back.retrieval == r);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  RetrievalRecord parsed;
  if (ParseRetrievalLine(input, &parsed)) CheckRoundTrip(parsed.retrieval);

  std::string parts[3];
  size_t k = 0;
  for (char c : input) {
    if (c == '|' && k < 2) ++k;
    else parts[k] += c;
  }
  CheckRoundTrip(Retrieval{parts[0], parts[1], parts[2]});
  return 0;
}
