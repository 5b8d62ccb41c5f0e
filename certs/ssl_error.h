// Turns BoringSSL's thread-local error queue into one readable reason, so every
// TLS error message names what went wrong ("no start line", "certificate verify
// failed") instead of a numeric code. Shared by certs/ and proxy/net/.
#pragma once

#include <string>

namespace mailtee::certs {

// Drains the error queue; returns the reason of the first (innermost) error
// joined with later ones, or fallback when the queue is empty.
std::string TakeSslErrors(const std::string& fallback = "unknown TLS library error");

// Drops stale errors so the next TakeSslErrors reports only fresh ones.
void ClearSslErrors();

}  // namespace mailtee::certs
