#include "proxy/approval/identity.h"

#include "proxy/approval/address_pattern.h"

namespace mailtee::approval {
namespace {

constexpr std::string_view kAdminPrefix = "admin:";

std::string_view LocalPart(std::string_view address) {
  const size_t at = address.rfind('@');
  return at == std::string_view::npos ? address : address.substr(0, at);
}

}  // namespace

std::string PersonOf(std::string_view actor) {
  std::string person = NormalizeAddress(actor);
  if (person.rfind(kAdminPrefix, 0) == 0) person.erase(0, kAdminPrefix.size());
  return person;
}

bool SamePerson(std::string_view a_raw, std::string_view b_raw) {
  const std::string a = PersonOf(a_raw), b = PersonOf(b_raw);
  if (a.empty() || b.empty()) return false;
  const bool a_bare = a.find('@') == std::string::npos, b_bare = b.find('@') == std::string::npos;
  if (a_bare == b_bare) return a == b;
  return a_bare ? a == LocalPart(b) : b == LocalPart(a);
}

bool MatchSenderPattern(std::string_view pattern, std::string_view identity, bool exception_rule) {
  if (identity.empty() || identity.find('@') != std::string_view::npos) return MatchAddressPattern(pattern, identity);
  if (pattern.find('@') == std::string_view::npos) return MatchAddressPattern(pattern, identity);
  const std::string_view local = LocalPart(pattern);
  if (exception_rule && local.find('*') != std::string_view::npos) return false;
  return MatchAddressPattern(local, identity);
}

}  // namespace mailtee::approval
