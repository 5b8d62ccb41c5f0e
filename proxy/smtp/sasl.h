// SASL helpers for AUTH relay (RFC 4954): base64, and the login name a client
// authenticates as — the archive's user key. Passwords are never returned;
// buffers that held them are wiped by the caller with WipeString.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mailtee::smtp {

std::string Base64Encode(std::string_view bytes);
// Strict RFC 4648 (padding required, no whitespace); nullopt when invalid.
std::optional<std::string> Base64Decode(std::string_view text);

// PLAIN: base64("authzid\0authcid\0password") -> authcid (RFC 4616).
std::optional<std::string> LoginFromPlain(std::string_view base64_response);
// LOGIN: the first client continuation is base64(username).
std::optional<std::string> LoginFromLoginUsername(std::string_view base64_response);
// CRAM-MD5: base64("username hexdigest") -> username (RFC 2195).
std::optional<std::string> LoginFromCramMd5(std::string_view base64_response);

// Account mode: the PLAIN initial response for user/password.
std::string PlainInitialResponse(const std::string& user, const std::string& password);

// Overwrites the contents (passwords must not linger in freed heap memory).
void WipeString(std::string* s);

}  // namespace mailtee::smtp
