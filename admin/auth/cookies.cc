#include "admin/auth/cookies.h"

namespace mailtee::admin {
namespace {

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

}  // namespace

std::string CookieValue(const std::string& cookie_header, const std::string& name) {
  size_t start = 0;
  while (start <= cookie_header.size()) {
    size_t end = cookie_header.find_first_of(";,", start);  // "," joins repeated Cookie headers
    if (end == std::string::npos) end = cookie_header.size();
    std::string pair = Trim(cookie_header.substr(start, end - start));
    size_t eq = pair.find('=');
    if (eq != std::string::npos && Trim(pair.substr(0, eq)) == name) {
      std::string value = Trim(pair.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
      return value;
    }
    start = end + 1;
  }
  return "";
}

std::string SessionSetCookie(const std::string& token) {
  return std::string(kSessionCookieName) + "=" + token + "; Path=/; HttpOnly; Secure; SameSite=Strict";
}

std::string ClearedSessionSetCookie() {
  return std::string(kSessionCookieName) + "=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict";
}

}  // namespace mailtee::admin
