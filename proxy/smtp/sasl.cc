#include "proxy/smtp/sasl.h"

#include <cstring>

namespace mailtee::smtp {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int DecodeChar(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Login names are printable text: no NUL, no line breaks (they go into paths and logs).
bool PlausibleLogin(std::string_view s) {
  if (s.empty() || s.size() > 320) return false;
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return false;
  return true;
}

}  // namespace

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == bytes.size()) {
    uint32_t v = uint8_t(bytes[i]) << 16;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      char c = text[i + k];
      if (c == '=') {
        // Padding only in the last group, only in the last two places.
        if (i + 4 != text.size() || k < 2) return std::nullopt;
        v[k] = 0;
        ++pad;
      } else {
        if (pad) return std::nullopt;
        v[k] = DecodeChar(c);
        if (v[k] < 0) return std::nullopt;
      }
    }
    uint32_t n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out += char(n >> 16);
    if (pad < 2) out += char((n >> 8) & 0xff);
    if (pad < 1) out += char(n & 0xff);
  }
  return out;
}

std::optional<std::string> LoginFromPlain(std::string_view base64_response) {
  auto decoded = Base64Decode(base64_response);
  if (!decoded) return std::nullopt;
  std::optional<std::string> result;
  size_t first = decoded->find('\0');
  size_t second = first == std::string::npos ? std::string::npos : decoded->find('\0', first + 1);
  if (second != std::string::npos) {
    std::string authcid = decoded->substr(first + 1, second - first - 1);
    if (PlausibleLogin(authcid)) result = std::move(authcid);
  }
  WipeString(&*decoded);  // it held the password
  return result;
}

std::optional<std::string> LoginFromLoginUsername(std::string_view base64_response) {
  auto decoded = Base64Decode(base64_response);
  if (!decoded || !PlausibleLogin(*decoded)) return std::nullopt;
  return decoded;
}

std::optional<std::string> LoginFromCramMd5(std::string_view base64_response) {
  auto decoded = Base64Decode(base64_response);
  if (!decoded) return std::nullopt;
  size_t space = decoded->rfind(' ');
  if (space == std::string::npos) return std::nullopt;
  std::string user = decoded->substr(0, space);
  if (!PlausibleLogin(user)) return std::nullopt;
  return user;
}

std::string PlainInitialResponse(const std::string& user, const std::string& password) {
  std::string raw;
  raw.reserve(user.size() + password.size() + 2);
  raw += '\0';
  raw += user;
  raw += '\0';
  raw += password;
  std::string encoded = Base64Encode(raw);
  WipeString(&raw);
  return encoded;
}

void WipeString(std::string* s) {
  if (s->empty()) return;
  volatile char* p = s->data();
  for (size_t i = 0; i < s->size(); ++i) p[i] = 0;
  s->clear();
}

}  // namespace mailtee::smtp
