#include "proxy/pop3/greeting.h"

#include <algorithm>

namespace mailtee::pop3 {

std::string ApopTimestamp(std::string_view provider_greeting) {
  const size_t open = provider_greeting.find('<');
  const size_t close = provider_greeting.find('>');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) return "";
  // A second bracket makes the timestamp ambiguous: which one would the client hash?
  if (provider_greeting.find('<', open + 1) != std::string_view::npos ||
      provider_greeting.find('>', close + 1) != std::string_view::npos) {
    return "";
  }
  std::string_view stamp = provider_greeting.substr(open, close - open + 1);
  if (stamp.size() > kMaxApopTimestamp) return "";
  std::string_view inner = stamp.substr(1, stamp.size() - 2);
  for (char c : inner) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7e) return "";
  }
  const size_t at = inner.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == inner.size()) return "";
  if (std::count(inner.begin(), inner.end(), '@') != 1) return "";
  return std::string(stamp);
}

std::string ClientGreeting(std::string_view provider_greeting) {
  std::string greeting = "+OK mailtee POP3 proxy ready";
  const std::string stamp = ApopTimestamp(provider_greeting);
  if (!stamp.empty()) greeting += " " + stamp;
  return greeting;
}

}  // namespace mailtee::pop3
