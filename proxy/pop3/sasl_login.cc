#include "proxy/pop3/sasl_login.h"

#include <openssl/base64.h>

#include <vector>

namespace mailtee::pop3 {

std::optional<std::string> DecodeBase64(std::string_view text) {
  size_t max_len = 0;
  if (!EVP_DecodedLength(&max_len, text.size())) return std::nullopt;
  std::vector<uint8_t> out(max_len + 1);
  size_t out_len = 0;
  if (!EVP_DecodeBase64(out.data(), &out_len, out.size(),
                        reinterpret_cast<const uint8_t*>(text.data()), text.size())) {
    return std::nullopt;
  }
  return std::string(reinterpret_cast<const char*>(out.data()), out_len);
}

bool IsUsableLogin(std::string_view login) {
  if (login.empty() || login.size() > 512) return false;
  for (unsigned char c : login) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

void SaslLogin::Start(std::string_view mechanism, std::optional<std::string_view> initial) {
  mechanism_ = std::string(mechanism);
  taken_ = false;
  login_.clear();
  if (initial) Take(*initial == "=" ? std::string_view() : *initial);
}

void SaslLogin::OnClientLine(std::string_view line) {
  if (line == "*") {  // cancelled: no login from this exchange
    taken_ = true;
    login_.clear();
    return;
  }
  Take(line);
}

void SaslLogin::Take(std::string_view base64) {
  if (taken_) return;  // only the first client message names the user
  taken_ = true;
  std::optional<std::string> decoded = DecodeBase64(base64);
  if (!decoded) return;
  std::string candidate;
  if (mechanism_ == "PLAIN") {
    size_t first = decoded->find('\0');
    if (first == std::string::npos) return;
    size_t second = decoded->find('\0', first + 1);
    if (second == std::string::npos) return;
    candidate = decoded->substr(first + 1, second - first - 1);
  } else if (mechanism_ == "LOGIN") {
    candidate = *decoded;
  } else if (mechanism_ == "CRAM-MD5") {
    size_t space = decoded->rfind(' ');
    if (space == std::string::npos) return;
    candidate = decoded->substr(0, space);
  }
  if (IsUsableLogin(candidate)) login_ = candidate;
}

}  // namespace mailtee::pop3
