// The archive keeps one folder per user. The user string comes from the
// network (a login, an envelope sender), so it is made safe as exactly one
// folder name: nothing in it can climb out of <storage>/archive/.
#pragma once

#include <string>
#include <string_view>

namespace mailtee::archive {

// Lowercases ASCII, keeps [a-z0-9._@+-], percent-encodes every other byte
// ("%E6", "%2F"), so distinct users get distinct folders and '/' or
// Japanese never reach the file system raw. "", "." and ".." become
// "_unknown_". Longer than kMaxUserFolderBytes: cut (never inside a %XX)
// and suffixed with "~" + 16 hex digits of the SHA-256 of the full name.
inline constexpr size_t kMaxUserFolderBytes = 200;
std::string UserFolderName(std::string_view user);

}  // namespace mailtee::archive
