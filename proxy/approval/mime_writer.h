// Small RFC 5322 / MIME writing helpers for the mails mailtee composes itself:
// RFC 2047 encoded-words for UTF-8 header text, base64 bodies with 76-column
// lines, Date and Message-ID values.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace mailtee::approval {

// A header value: plain printable ASCII is kept; anything else becomes
// "=?UTF-8?B?...?=" words of at most 75 characters, split on UTF-8 character
// boundaries and folded with CRLF SP. name_length: the field name plus ": ".
std::string EncodeHeaderText(std::string_view utf8, size_t name_length);

// Base64 in lines of 76 characters, each ending in CRLF.
std::string Base64Lines(std::string_view bytes);

// "Tue, 24 Nov 2026 17:28:22 +0900" (local zone).
std::string RfcDate(std::chrono::system_clock::time_point t);

// "<20261124172822.9f3a...@mailtee.local>" from random bytes.
std::string NewMessageId(const std::string& domain);

// A random MIME boundary that cannot occur in base64 or our text.
std::string NewBoundary();

// RFC 3986 percent-encoding (unreserved characters and "@" kept): mailto:
// subjects (RFC 6068) and the CLI's archive API paths and queries.
std::string PercentEncode(std::string_view text);

}  // namespace mailtee::approval
