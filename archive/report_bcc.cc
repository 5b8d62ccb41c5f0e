// ComputeBcc: who got the message without being named in To or Cc.
#include <set>

#include "archive/analysis_address.h"
#include "archive/report.h"

namespace mailtee::archive {
namespace {

// Addresses compare case-insensitively as a whole (local parts are in
// practice case-insensitive at every provider we proxy).
std::string Folded(std::string_view address) {
  std::string s = AddrSpecOf(address);
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

}  // namespace

std::vector<std::string> ComputeBcc(const std::vector<std::string>& envelope_to,
                                    const MessageSummary& summary) {
  std::set<std::string> named;
  for (const auto& a : summary.to) named.insert(Folded(a));
  for (const auto& a : summary.cc) named.insert(Folded(a));
  std::vector<std::string> bcc;
  for (const auto& rcpt : envelope_to)
    if (!named.count(Folded(rcpt))) bcc.push_back(rcpt);
  return bcc;
}

}  // namespace mailtee::archive
