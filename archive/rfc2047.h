// RFC 2047 encoded-words ("=?ISO-2022-JP?B?...?=") and the small base64 /
// quoted-printable decoders they share with MIME bodies. DecodeHeaderValue
// itself is declared in message_summary.h.
#pragma once

#include <string>
#include <string_view>

#include "archive/message_summary.h"

namespace mailtee::archive {

// Base64 with whitespace ignored, padding optional. False on any other
// character or impossible length.
bool DecodeBase64Strict(std::string_view in, std::string* out);

// RFC 2047 "Q": '_' is a space, =XX a byte; a malformed '=' is kept as is.
std::string DecodeQEncoding(std::string_view in);

}  // namespace mailtee::archive
