// Address patterns and the small address helpers the approval rules share.
// Patterns are globs where '*' stands for any run of characters, compared
// ASCII-case-insensitively: "*" (everyone), "*@company.example" (a domain),
// "info@company.example" (one mailbox).
#pragma once

#include <string>
#include <string_view>

namespace mailtee::approval {

bool MatchAddressPattern(std::string_view pattern, std::string_view address);

// "Bucho@Company.Example" -> "bucho@company.example"; strips one pair of <>.
std::string NormalizeAddress(std::string_view address);

// The part after the last '@', lower-cased ("" when there is none).
std::string DomainOf(std::string_view address);

// True when `domain` is `base` or a subdomain of it ("tokyo.company.example"
// is inside "company.example").
bool DomainWithin(std::string_view domain, std::string_view base);

// A plain mailbox "local@domain.tld": no spaces, no wildcard, no brackets, one '@'.
bool IsPlainAddress(std::string_view address);

}  // namespace mailtee::approval
