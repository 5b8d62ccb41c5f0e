// RFC 5322 address lists (From/To/Cc) split into mailboxes, and the addr-spec
// of one mailbox. Tolerant: whatever a mailer wrote yields something readable.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mailtee::archive {

// Splits an unfolded header value into mailboxes: commas outside quotes,
// angle brackets and comments separate them; groups ("team: a, b;") are
// flattened to their members. Each mailbox comes out as "Display Name <addr>"
// (display name unquoted and RFC 2047-decoded to UTF-8) or just "addr".
// `value` must already be UTF-8 apart from encoded-words (see RawHeaderToUtf8).
std::vector<std::string> ParseAddressList(std::string_view value);

// "Name <a@b>" -> "a@b"; "a@b" -> "a@b"; surrounding blanks removed.
std::string AddrSpecOf(std::string_view mailbox);

}  // namespace mailtee::archive
