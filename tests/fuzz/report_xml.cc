// Fuzzes the report XML: ParseReportXml on arbitrary input must not crash,
// and fuzzed strings rendered into a report must read back exactly as
// SanitizeXmlText says they will.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "archive/report.h"
#include "archive/report_xml_escape.h"

using namespace mailtee::archive;

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  Report parsed;
  (void)ParseReportXml(input, &parsed);

  // Split the input into a few fields at '|' and render them.
  std::string parts[6];
  size_t k = 0;
  for (char c : input) {
    if (c == '|' && k < 5) ++k;
    else parts[k] += c;
  }
  Report r;
  r.id = parts[0];
  r.summary.subject = parts[1];
  r.summary.to = {parts[2], parts[3]};
  r.outcome_reply = parts[4];
  r.outcome = parts[5];
  r.summary.attachments = {{parts[3], size, parts[2]}};
  r.retrievals = {{parts[4], parts[0]}};
  r.outcome_code = static_cast<int>(size) - 100;
  Report back;
  Check(ParseReportXml(RenderReportXml(r), &back).ok());
  Check(back.id == SanitizeXmlText(parts[0]));
  Check(back.summary.subject == SanitizeXmlText(parts[1]));
  Check(back.summary.to.size() == 2 && back.summary.to[0] == SanitizeXmlText(parts[2]) &&
        back.summary.to[1] == SanitizeXmlText(parts[3]));
  Check(back.outcome_reply == SanitizeXmlText(parts[4]));
  Check(back.outcome == SanitizeXmlText(parts[5]));
  Check(back.outcome_code == r.outcome_code);
  Check(back.summary.attachments.size() == 1 && back.summary.attachments[0].size == size &&
        back.summary.attachments[0].name == SanitizeXmlText(parts[3]) &&
        back.summary.attachments[0].type == SanitizeXmlText(parts[2]));
  Check(back.retrievals.size() == 1 && back.retrievals[0].at == SanitizeXmlText(parts[4]) &&
        back.retrievals[0].client_ip == SanitizeXmlText(parts[0]));
  return 0;
}
