// The session cookie: parsing the Cookie request header and building the
// Set-Cookie value. The cookie is HttpOnly (no script reads it), Secure (never
// sent over plain HTTP), SameSite=Strict (never sent on cross-site requests)
// and Path=/; without Max-Age it dies with the browser. Its name has the
// __Host- prefix: browsers accept it only with Secure, Path=/ and no Domain,
// from a secure origin, so neither a sibling host nor a plain-HTTP response
// can plant or shadow it. (There is no CSRF cookie: the CSRF token travels in
// the login answer and X-CSRF-Token.)
#pragma once

#include <string>

namespace mailtee::admin {

inline constexpr const char* kSessionCookieName = "__Host-mailtee_session";

// Value of cookie `name` in a Cookie header ("a=1; __Host-mailtee_session=xyz"), or "".
std::string CookieValue(const std::string& cookie_header, const std::string& name);

std::string SessionSetCookie(const std::string& token);
// Expires the cookie in the browser (logout).
std::string ClearedSessionSetCookie();

}  // namespace mailtee::admin
