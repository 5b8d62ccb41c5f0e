// ResponseFramer: splits the provider's byte stream into POP3 responses.
//
// The framer cannot tell a single-line from a multi-line response by looking at
// it, so the session tells it, per command relayed, what shape to expect (a FIFO,
// because PIPELINING lets several commands be in flight):
//   kSingleLine     STAT, LIST n, UIDL n, DELE, NOOP, RSET, QUIT, USER, PASS, APOP, STLS, greeting
//   kMultiLineIfOk  CAPA, LIST, UIDL, RETR, TOP — a body follows only after "+OK";
//                   "-ERR" is always one line
//   kSasl           AUTH: "+ <challenge>" continuation lines until "+OK" / "-ERR"
//
// Multi-line bodies are streamed, never buffered: each Feed hands the handler
// the raw bytes to forward to the client (exactly as received) and the
// dot-unstuffed bytes for the archive. The end is recognised only as
// CRLF "." CRLF (a bare LF never ends a line here), including when the
// terminator is split across reads at any byte.
//
// Feed stops after each completed response (or SASL continuation line), so the
// session can act on it (STLS upstream: drop the rest) before more is parsed.
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>

#include "config/status.h"

namespace mailtee::pop3 {

enum class ResponseShape { kSingleLine, kMultiLineIfOk, kSasl };
enum class StatusKind { kOk, kErr, kContinuation };

// Longest first line accepted from the provider (RFC 2449 allows 512 octets).
constexpr size_t kMaxStatusLine = 4096;

class ResponseHandler {
 public:
  virtual ~ResponseHandler() = default;
  // The first line of a response, without CRLF. multiline: a body follows.
  virtual void OnStatus(StatusKind kind, std::string_view line, bool multiline) = 0;
  // Bytes exactly as received (status line, body, terminator), in order.
  virtual void OnRaw(std::string_view raw) = 0;
  // Dot-unstuffed body bytes of a multi-line response; no terminator.
  virtual void OnBody(std::string_view data) = 0;
  // The response ended (a continuation line ends its SASL step, the AUTH stays pending).
  virtual void OnComplete(StatusKind kind) = 0;
};

class ResponseFramer {
 public:
  void Expect(ResponseShape shape) { expected_.push_back(shape); }
  size_t pending() const { return expected_.size(); }
  bool has_pending() const { return !expected_.empty(); }
  // True while a response has begun but not ended.
  bool mid_response() const { return state_ != State::kStatus || !status_.empty(); }
  // Shape of the response the next bytes belong to (requires has_pending()).
  ResponseShape front() const { return expected_.front(); }

  // Consumes input until one response (or SASL continuation) completes or the
  // input ends; *consumed says how much. Errors: data with nothing pending, an
  // over-long or malformed status line — the session must close.
  Status Feed(std::string_view input, ResponseHandler* handler, size_t* consumed);

 private:
  enum class State { kStatus, kLineStart, kText, kCr, kDot, kDotCr };
  Status FinishStatusLine(ResponseHandler* handler, bool* done);
  size_t ScanBody(std::string_view input, ResponseHandler* handler, bool* done);

  std::deque<ResponseShape> expected_;
  State state_ = State::kStatus;
  std::string status_;      // status line bytes so far (raw, with line end)
};

}  // namespace mailtee::pop3
