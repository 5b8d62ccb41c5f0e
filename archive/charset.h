// Conversion of mail text to UTF-8 with glibc iconv, with the aliases and
// supersets real Japanese (and other) mailers need: Shift_JIS is read as
// CP932 (Windows ①, ～), ISO-2022-JP falls back to a CP50221-like reading
// (NEC/IBM extensions) and ISO-2022-JP-3, GB2312 as GBK, EUC-KR as CP949.
#pragma once

#include <string>
#include <string_view>

namespace mailtee::archive {

// Strict: true and *out set only if every byte converts. Charset names are
// case-insensitive; unknown charsets return false.
bool ConvertToUtf8(std::string_view charset, std::string_view bytes, std::string* out);

// Lossy: unconvertible bytes become U+FFFD. Returns false (and leaves *out
// empty) only when the charset is unknown.
bool ConvertToUtf8Lossy(std::string_view charset, std::string_view bytes, std::string* out);

// True if `bytes` is well-formed UTF-8.
bool IsValidUtf8(std::string_view bytes);

// Raw (unencoded) header bytes to UTF-8, leaving ASCII and encoded-words as
// they are: raw ISO-2022-JP escape sequences are decoded; 8-bit bytes are
// kept if valid UTF-8, else read as EUC-JP, else CP932, else Latin-1.
std::string RawHeaderToUtf8(std::string_view bytes);

}  // namespace mailtee::archive
