// Unguessable tokens for session cookies and CSRF: 32 bytes from libsodium's
// CSPRNG, hex encoded (64 characters), and their constant-time comparison.
#pragma once

#include <string>

namespace mailtee::admin {

std::string NewRandomToken();

// Constant-time equality for secrets of equal length; different lengths or an
// empty expected value never match.
bool TokensEqual(const std::string& expected, const std::string& presented);

// Hex of a keyed-free BLAKE2b-256 digest: the session table is keyed by the
// digest of the cookie, so lookups leak no timing about the token itself.
std::string TokenDigest(const std::string& token);

}  // namespace mailtee::admin
