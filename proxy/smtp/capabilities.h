// What the provider's EHLO reply offers, and the EHLO reply mailtee gives its
// client: only extensions the proxy handles correctly pass through (RFC 5321
// §4.1.1.1: the client may use only what is advertised).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "proxy/smtp/reply.h"

namespace mailtee::smtp {

struct ProviderCapabilities {
  bool pipelining = false;
  bool size = false;
  uint64_t size_limit = 0;      // 0: SIZE without a number (no fixed limit)
  bool eight_bit_mime = false;
  bool smtputf8 = false;
  bool enhanced_status_codes = false;
  bool chunking = false;
  bool dsn = false;
  bool starttls = false;
  std::vector<std::string> auth_mechanisms;  // upper case, as offered
  bool OffersAuth(const std::string& mechanism) const;
};

ProviderCapabilities ParseEhloReply(const Reply& ehlo);

struct ClientOffer {
  bool offer_starttls = false;   // listener does STARTTLS and the client is still in plaintext
  bool offer_auth = false;       // AUTH may be used right now (TLS, or tls=none on loopback)
  bool allow_chunking = true;    // the session handles BDAT on this listener
  uint64_t max_message_bytes = 0;  // the listener's max-message-size: SIZE says the smaller limit (0: the provider's)
};

// Mechanisms mailtee relays (the provider decides whether the login is good).
extern const char* const kRelayableMechanisms[3];  // PLAIN, LOGIN, CRAM-MD5

// Builds the 250 reply for the client from the provider's EHLO reply: first
// line kept, extensions filtered as above, STARTTLS/AUTH added as offered.
Reply FilterEhloReply(const Reply& provider_ehlo, const ClientOffer& offer);

}  // namespace mailtee::smtp
