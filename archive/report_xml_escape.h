// Text for the report XML: valid UTF-8 made of characters XML 1.0 allows,
// escaped so that any XML parser (tinyxml2, Python's ElementTree) reads back
// exactly the string that was written, newlines and edge spaces included.
#pragma once

#include <string>
#include <string_view>

namespace mailtee::archive {

// The string as it will read back from the report: invalid UTF-8 and
// characters illegal in XML 1.0 (controls other than TAB/LF/CR, U+FFFE/FFFF)
// replaced by U+FFFD. Everything else is kept.
std::string SanitizeXmlText(std::string_view s);

// Appends SanitizeXmlText(s) escaped for element content or an attribute
// value (both use the same escaping): & < > " as entities, TAB/LF/CR as
// character references (attribute normalisation and CRLF folding would
// otherwise change them), and a leading space as &#32; so that a
// whitespace-only value is not dropped as ignorable whitespace.
void AppendXmlEscaped(std::string* out, std::string_view s);

}  // namespace mailtee::archive
