// The readable text of a message for keyword rules (match="body"): the first
// text/plain part (searching nested multiparts), transfer-decoded (base64,
// quoted-printable) and converted to UTF-8 from its charset by the archive's
// converter (archive/charset.h: ISO-2022-JP with Outlook's ①, Shift_JIS as
// CP932, EUC-JP, UTF-8, ...). Works on a bounded sample of the message; a
// part cut off by the sample yields what is there.
#pragma once

#include <string>
#include <string_view>

namespace mailtee::approval {

std::string ExtractBodyText(std::string_view message);

}  // namespace mailtee::approval
