#include "admin/http/response_writer.h"

#include <strings.h>

namespace mailtee::admin {
namespace {

// Header values come from handlers; a CR or LF would split the response.
std::string HeaderSafe(const std::string& value) {
  std::string out;
  for (char c : value) out.push_back(c == '\r' || c == '\n' ? ' ' : c);
  return out;
}

bool HasHeader(const Response& response, const char* name) {
  for (const auto& [n, v] : response.headers) {
    if (strcasecmp(n.c_str(), name) == 0) return true;
  }
  return false;
}

}  // namespace

std::string SerializeResponse(const Response& response, const WriteOptions& options) {
  const bool file_body = !response.body_file.empty();
  const uint64_t length = file_body ? response.body_file_size : response.body.size();
  std::string out;
  out.reserve(512 + (options.head_only || file_body ? 0 : response.body.size()));
  out += "HTTP/1.1 " + std::to_string(response.status) + " " + ReasonPhrase(response.status) + "\r\n";
  out += "Content-Type: " + HeaderSafe(response.content_type) + "\r\n";
  out += "Content-Length: " + std::to_string(length) + "\r\n";
  out += "Cache-Control: no-store\r\n";
  out += "X-Content-Type-Options: nosniff\r\n";
  // A handler may set its own, stricter policy (a mail's HTML part shown in
  // the console's sandboxed frame: nothing loads, framable by the console only).
  if (!HasHeader(response, "X-Frame-Options")) out += "X-Frame-Options: DENY\r\n";
  out += "Referrer-Policy: no-referrer\r\n";
  if (!HasHeader(response, "Content-Security-Policy")) {
    out += "Content-Security-Policy: default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'\r\n";
  }
  if (options.tls) out += "Strict-Transport-Security: max-age=31536000\r\n";
  for (const auto& [name, value] : response.headers) out += HeaderSafe(name) + ": " + HeaderSafe(value) + "\r\n";
  out += options.keep_alive && !response.close_connection ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  out += "\r\n";
  if (!options.head_only && !file_body) out += response.body;
  return out;
}

}  // namespace mailtee::admin
