// RequestParser: HTTP/1.x requests from a byte stream, one at a time, on top of
// the Node.js http_parser (Debian libhttp-parser). It stops at the end of each
// request (http_parser_pause) so pipelined requests are answered strictly in
// order and bytes of the next request are never mixed into the current one.
//
// Limits are checked while parsing, before anything is buffered past them:
// request line + headers (431), header count (431), body (413, also checked
// against Content-Length up front). After an error the parser is dead: the
// connection answers error_status() and closes.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "admin/http/http_message.h"

namespace mailtee::admin {

struct ParserLimits {
  size_t max_head_bytes = 16 * 1024;  // request line + header names and values
  size_t max_headers = 64;
  size_t max_body_bytes = 64 * 1024;
};

class RequestParser {
 public:
  enum class Result { kNeedMore, kRequest, kError };

  explicit RequestParser(ParserLimits limits = {});
  ~RequestParser();
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  // Parses from the front of input. *consumed says how many bytes were used:
  // on kRequest the rest of input belongs to the next request (feed it again
  // after TakeRequest); on kNeedMore all of input was used.
  Result Feed(std::string_view input, size_t* consumed);
  Request TakeRequest();

  // True once some byte of the next request has been seen (for the request
  // deadline: idle keep-alive vs. a slow request).
  bool in_progress() const;
  // Headers are complete, the body is still coming, and the client sent
  // "Expect: 100-continue" (answered once by the connection).
  bool wants_continue() const;
  void continue_sent();

  int error_status() const;              // 400, 413, 431, 505 after kError
  const std::string& error_message() const;

  struct State;  // public for the C callbacks

 private:
  std::unique_ptr<State> state_;
};

}  // namespace mailtee::admin
