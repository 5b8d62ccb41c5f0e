#include "proxy/pop3/capa_filter.h"

#include <cctype>

namespace mailtee::pop3 {
namespace {

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string> Words(std::string_view line) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) words.emplace_back(line.substr(start, i - start));
  }
  return words;
}

bool IsKeptVerbatim(const std::string& tag) {
  return tag == "TOP" || tag == "UIDL" || tag == "RESP-CODES" || tag == "PIPELINING" ||
         tag == "AUTH-RESP-CODE" || tag == "EXPIRE" || tag == "LOGIN-DELAY";
}

// The SASL mechanisms whose first client message mailtee can read a login from.
bool IsRelayableMechanism(const std::string& mech) {
  return mech == "PLAIN" || mech == "LOGIN" || mech == "CRAM-MD5";
}

}  // namespace

std::vector<std::string> FilterCapabilities(std::string_view body, const CapaPolicy& policy) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t lf = body.find('\n', pos);
    std::string_view line = body.substr(pos, lf == std::string_view::npos ? std::string_view::npos : lf - pos);
    pos = lf == std::string_view::npos ? body.size() : lf + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::vector<std::string> words = Words(line);
    if (words.empty()) continue;
    std::string tag = Upper(words[0]);
    if (IsKeptVerbatim(tag)) {
      out.emplace_back(line);
    } else if (tag == "USER") {
      if (policy.allow_login) out.emplace_back("USER");
    } else if (tag == "SASL") {
      if (!policy.allow_login) continue;
      std::string mechs;
      for (size_t i = 1; i < words.size(); ++i) {
        std::string mech = Upper(words[i]);
        if (IsRelayableMechanism(mech)) mechs += " " + mech;
      }
      if (!mechs.empty()) out.push_back("SASL" + mechs);
    }
    // STLS, IMPLEMENTATION, UTF8, LANG, unknown: dropped.
  }
  if (policy.offer_stls) out.emplace_back("STLS");
  out.emplace_back("IMPLEMENTATION mailtee");
  return out;
}

bool HasCapability(std::string_view body, std::string_view tag) {
  std::string wanted = Upper(tag);
  size_t pos = 0;
  while (pos < body.size()) {
    size_t lf = body.find('\n', pos);
    std::string_view line = body.substr(pos, lf == std::string_view::npos ? std::string_view::npos : lf - pos);
    pos = lf == std::string_view::npos ? body.size() : lf + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::vector<std::string> words = Words(line);
    if (!words.empty() && Upper(words[0]) == wanted) return true;
  }
  return false;
}

std::vector<std::string> FallbackCapabilities(const CapaPolicy& policy) {
  std::vector<std::string> out;
  if (policy.allow_login) out.emplace_back("USER");
  if (policy.offer_stls) out.emplace_back("STLS");
  out.emplace_back("IMPLEMENTATION mailtee");
  return out;
}

std::string FormatMultiLine(std::string_view status_line, const std::vector<std::string>& lines) {
  std::string out(status_line);
  out += "\r\n";
  for (const auto& line : lines) {
    if (!line.empty() && line[0] == '.') out += '.';
    out += line;
    out += "\r\n";
  }
  out += ".\r\n";
  return out;
}

}  // namespace mailtee::pop3
