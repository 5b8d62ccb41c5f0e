#include "certs/ssl_error.h"

#include <openssl/err.h>

namespace mailtee::certs {

std::string TakeSslErrors(const std::string& fallback) {
  std::string out;
  while (uint32_t code = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(code);
    std::string text = reason ? reason : ("error " + std::to_string(code));
    // BoringSSL reports reasons in UPPER_SNAKE ("NO_START_LINE"): lower-case them
    // with spaces so they read as a sentence fragment.
    for (char& c : text) {
      if (c == '_') c = ' ';
      else if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    if (out.find(text) != std::string::npos) continue;
    if (!out.empty()) out += "; ";
    out += text;
  }
  return out.empty() ? fallback : out;
}

void ClearSslErrors() { ERR_clear_error(); }

}  // namespace mailtee::certs
