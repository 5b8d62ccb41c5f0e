#include "archive/user_folder.h"

#include <openssl/sha.h>

namespace mailtee::archive {
namespace {

bool KeptAsIs(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '@' ||
         c == '+' || c == '-';
}

std::string HexSha256Prefix(std::string_view data, size_t hex_digits) {
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const uint8_t*>(data.data()), data.size(), digest);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; out.size() < hex_digits && i < sizeof(digest); ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

}  // namespace

std::string UserFolderName(std::string_view user) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string name;
  name.reserve(user.size());
  for (unsigned char c : user) {
    if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c - 'A' + 'a');
    if (KeptAsIs(c)) {
      name += static_cast<char>(c);
    } else {
      name += '%';
      name += kHex[c >> 4];
      name += kHex[c & 15];
    }
  }
  if (name.empty() || name == "." || name == "..") return "_unknown_";
  if (name.size() <= kMaxUserFolderBytes) return name;

  const std::string suffix = "~" + HexSha256Prefix(name, 16);
  size_t cut = kMaxUserFolderBytes - suffix.size();
  // Do not split a %XX escape: back up to its '%' if the cut lands inside one.
  for (size_t back = 1; back <= 2 && cut >= back; ++back)
    if (name[cut - back] == '%') {
      cut -= back;
      break;
    }
  return name.substr(0, cut) + suffix;
}

}  // namespace mailtee::archive
