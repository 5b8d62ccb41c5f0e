#include "proxy/approval/address_pattern.h"

#include <cctype>

namespace mailtee::approval {
namespace {

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

}  // namespace

bool MatchAddressPattern(std::string_view pattern, std::string_view address) {
  // Iterative glob with single-star backtracking: linear in practice, no recursion
  // blow-up on patterns like "*a*a*a*".
  size_t p = 0, a = 0, star = std::string_view::npos, mark = 0;
  while (a < address.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = a;
    } else if (p < pattern.size() && Lower(pattern[p]) == Lower(address[a])) {
      ++p;
      ++a;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      a = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::string NormalizeAddress(std::string_view address) {
  while (!address.empty() && std::isspace(static_cast<unsigned char>(address.front()))) address.remove_prefix(1);
  while (!address.empty() && std::isspace(static_cast<unsigned char>(address.back()))) address.remove_suffix(1);
  if (address.size() >= 2 && address.front() == '<' && address.back() == '>') {
    address = address.substr(1, address.size() - 2);
  }
  std::string out(address);
  for (char& c : out) c = Lower(c);
  return out;
}

std::string DomainOf(std::string_view address) {
  const size_t at = address.rfind('@');
  if (at == std::string_view::npos) return "";
  std::string d(address.substr(at + 1));
  if (!d.empty() && d.back() == '>') d.pop_back();
  for (char& c : d) c = Lower(c);
  return d;
}

bool DomainWithin(std::string_view domain, std::string_view base) {
  if (base.empty() || domain.size() < base.size()) return false;
  const std::string_view tail = domain.substr(domain.size() - base.size());
  for (size_t i = 0; i < base.size(); ++i) {
    if (Lower(tail[i]) != Lower(base[i])) return false;
  }
  return domain.size() == base.size() || domain[domain.size() - base.size() - 1] == '.';
}

bool IsPlainAddress(std::string_view address) {
  const size_t at = address.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= address.size()) return false;
  if (address.find('@', at + 1) != std::string_view::npos) return false;
  for (char c : address) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u <= ' ' || u == 0x7f || c == '*' || c == '<' || c == '>' || c == ',' || c == ';' || c == '"') return false;
  }
  const std::string_view domain = address.substr(at + 1);
  return domain.front() != '.' && domain.back() != '.';
}

}  // namespace mailtee::approval
