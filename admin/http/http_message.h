// Request and Response: what the HTTP connection hands the router and what a
// handler hands back. Plain values, no sockets, so handlers and the router are
// tested without a network.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace mailtee::admin {

struct Request {
  std::string method;   // "GET", "POST", ... as sent
  std::string target;   // raw request target "/api/logs?kind=system"
  std::string path;     // percent-decoded path without the query: "/api/logs"
  std::map<std::string, std::string> query;    // decoded query parameters (last one wins)
  std::map<std::string, std::string> headers;  // names lower-cased; repeated headers joined by ", "
  std::string body;
  std::string peer_ip;  // "127.0.0.1"; "local" for the Unix socket
  bool local_socket = false;  // came through <storage>/admin.sock: trusted by file permission
  bool keep_alive = true;     // what the client asked for (HTTP/1.1 default)

  // Filled by the server before the handler runs: {name} segments of the
  // matched pattern, and who is asking (the session's user, or "local").
  std::map<std::string, std::string> params;
  std::string user;

  const std::string& Header(const std::string& lower_name) const;
  const std::string& Query(const std::string& name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (Set-Cookie, Retry-After)
  // A file streamed as the body in bounded chunks instead of `body` (eml download).
  std::string body_file;
  uint64_t body_file_size = 0;
  bool close_connection = false;  // e.g. after a parse error

  void AddHeader(std::string name, std::string value) { headers.emplace_back(std::move(name), std::move(value)); }
};

// {"error": message} with the status.
Response ErrorResponse(int status, const std::string& message);
// {"error": message, "code": code, ...extra string fields}: code names the
// reason for the console, which shows its own ja/en text for it
// (admin/web/js/strings.js "err.<code>", filled with the extra fields).
Response ErrorResponse(int status, const std::string& message, const std::string& code,
                       const std::map<std::string, std::string>& fields = {});
// A JSON body (already serialized).
Response JsonResponse(int status, std::string json_text);

const char* ReasonPhrase(int status);

// "%41b+c" -> "Ab c" (plus as space only when form is true). Invalid escapes are
// kept literally.
std::string PercentDecode(const std::string& text, bool form);

// Splits "a=1&b=x%20y" into decoded pairs.
std::map<std::string, std::string> ParseQueryString(const std::string& query);

}  // namespace mailtee::admin
