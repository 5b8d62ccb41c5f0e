// CAPA filter (RFC 2449): what mailtee tells the client it can do, derived from
// what the provider said. Only capabilities whose framing mailtee understands
// survive; anything unknown is dropped, because a command the proxy cannot
// frame would desynchronise the response stream.
//
//   kept as is:   TOP, UIDL, RESP-CODES, PIPELINING, AUTH-RESP-CODE, EXPIRE, LOGIN-DELAY
//   USER, SASL:   only when login is allowed (client on TLS, or plaintext allowed);
//                 SASL mechanisms intersected with PLAIN, LOGIN, CRAM-MD5
//   STLS:         the provider's is dropped; added when mailtee offers STLS
//   IMPLEMENTATION: replaced by "IMPLEMENTATION mailtee"
//   dropped:      UTF8, LANG and everything else
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mailtee::pop3 {

struct CapaPolicy {
  bool offer_stls = false;   // listener does STLS and the client is not on TLS yet
  bool allow_login = false;  // client on TLS, or tls=none on a loopback listener
};

// provider_body: the dot-unstuffed body of the provider's +OK CAPA response
// (CRLF lines). Returns the capability lines to send, without line ends.
std::vector<std::string> FilterCapabilities(std::string_view provider_body, const CapaPolicy& policy);

// True when the CAPA body lists tag (case-insensitive), e.g. "UIDL".
bool HasCapability(std::string_view provider_body, std::string_view tag);

// The answer when the provider has no CAPA (it said -ERR): what mailtee itself can vouch for.
std::vector<std::string> FallbackCapabilities(const CapaPolicy& policy);

// "+OK ...\r\n" + each line (dot-stuffed) + "\r\n" + ".\r\n".
std::string FormatMultiLine(std::string_view status_line, const std::vector<std::string>& lines);

}  // namespace mailtee::pop3
