// Who someone is, compared the same way by the hold rules and by the
// separation-of-duties checks (docs/approval.md, "Whose rules apply" and
// "Separation of duties"). An identity is a provider login ("taro" or
// "taro@company.example"), a mail address, or the console's actor
// "admin:<account>".
//
//  - Addresses compare ASCII-case-insensitively and whole.
//  - A bare name (no '@': a provider login like "taro", a console account) is
//    the same person as an address whose local part it is:
//    "taro" ~ "taro@company.example". Two bare names compare whole.
//  - "admin:<account>" is the console account <account>.
#pragma once

#include <string>
#include <string_view>

namespace mailtee::approval {

// "admin:Alice" -> "alice"; " <Taro@Company.Example> " -> "taro@company.example".
std::string PersonOf(std::string_view actor);

// True when a and b (any of the forms above) name the same person. "" is nobody.
bool SamePerson(std::string_view a, std::string_view b);

// A rule's sender pattern against the identity the rules are about. An address
// (or "") is matched as it is (address_pattern.h). A bare name is matched
// against the pattern's local part ("taro" matches "taro@company.example" and
// "*@company.example"), or the whole pattern when it has no '@' ("u12345").
// For an exception rule (when="never") a bare name needs a pattern that names
// it: a local part with a '*' ("*@subsidiary.example") could be anyone's, and
// an ambiguous exception must not let mail pass.
bool MatchSenderPattern(std::string_view pattern, std::string_view identity, bool exception_rule);

}  // namespace mailtee::approval
