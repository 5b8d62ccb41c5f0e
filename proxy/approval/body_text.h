// The readable text of a message for keyword rules (match="body"): the first
// text/plain part (searching nested multiparts), transfer-decoded (base64,
// quoted-printable) and converted to UTF-8 from its charset (ISO-2022-JP,
// Shift_JIS as CP932, EUC-JP, UTF-8, ...) with iconv. Works on a bounded
// sample of the message; a part cut off by the sample yields what is there.
#pragma once

#include <string>
#include <string_view>

namespace mailtee::approval {

std::string ExtractBodyText(std::string_view message);

}  // namespace mailtee::approval
