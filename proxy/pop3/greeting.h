// The greeting a POP3 client gets from mailtee. The provider's own greeting is
// never passed on: on a plaintext provider leg (STLS, or tls="none") anyone on
// the path can write it, and text a client shows or parses (a fake [SYS/PERM],
// a URL to "log in again", an escape sequence) must not reach it that way. One
// rule for every provider leg, implicit TLS included: the client sees mailtee's
// text and, for APOP (RFC 1939 §7), the provider's timestamp when it passes
// strict validation. See docs/pop3.md.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mailtee::pop3 {

// Longest APOP timestamp passed on, brackets included (real ones are < 100).
constexpr size_t kMaxApopTimestamp = 256;

// The APOP timestamp in a provider greeting line (without CRLF), or "" when it
// has none that passes: the line holds exactly one '<' and one '>', the '>'
// after it; between them at least one octet either side of exactly one '@',
// every octet printable ASCII (0x21-0x7E, no space); at most kMaxApopTimestamp
// octets.
std::string ApopTimestamp(std::string_view provider_greeting);

// "+OK mailtee POP3 proxy ready", plus " <timestamp>" when ApopTimestamp found
// one. Without CRLF.
std::string ClientGreeting(std::string_view provider_greeting);

}  // namespace mailtee::pop3
