// HttpConnection: one admin client connection (HTTPS over net::Stream, or the
// plain local Unix socket). It owns the stream, the parser and a deadline
// timer, and answers requests strictly one at a time in arrival order, so
// pipelined requests are safe: the next request is not even parsed until the
// previous response is queued.
//
// Bounded everywhere: the parser enforces head/body limits; bytes of later
// pipelined requests are held at most limits.max_head_bytes+max_body_bytes
// before reading pauses; reading also pauses while the client is not taking
// its responses (pending writes above net::kHighWatermark); file bodies are
// streamed in 64 KiB chunks as the socket drains.
//
// Deadlines: handshake_timeout from accept to the end of the TLS handshake
// (short: a connection that never starts TLS, or trickles its handshake,
// holds a slot for nothing), idle_timeout between requests (the connection
// just closes), request_timeout from a request's first byte to its last
// (408 + close, against slow-loris clients).
//
// Lifetime: the owner (AdminServer) keeps the connection in a table and frees
// it from on_finished, which runs once after the stream's on_closed.
#pragma once

#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "admin/http/http_message.h"
#include "admin/http/request_parser.h"
#include "admin/http/router.h"
#include "proxy/net/stream.h"
#include "proxy/net/timer.h"

namespace mailtee::admin {

struct ConnectionOptions {
  ParserLimits limits;
  uint64_t handshake_timeout_ms = 5000;
  uint64_t idle_timeout_ms = 60000;
  uint64_t request_timeout_ms = 30000;
  bool local_socket = false;  // Request::local_socket, peer_ip "local"
};

class HttpConnection {
 public:
  using DispatchFn = std::function<void(Request, Reply)>;

  // server_tls null: plaintext (the local socket only).
  HttpConnection(uv_loop_t* loop, std::unique_ptr<net::Stream> stream, SSL_CTX* server_tls,
                 ConnectionOptions options, DispatchFn dispatch, std::function<void(HttpConnection*)> on_finished);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  void Start();
  // Closes now (server stop); a handler's later reply is dropped.
  void Close();

 private:
  void OnData(std::string_view bytes);
  void Process();
  void Dispatch(Request request);
  void OnReply(uint64_t generation, bool head_only, Response response);
  void SendError(int status, const std::string& message);
  void StreamFileBody();
  void FinishResponse();
  void ArmDeadline();
  void OnDeadline();
  void UpdateReading();

  std::unique_ptr<net::Stream> stream_;
  SSL_CTX* server_tls_;
  ConnectionOptions options_;
  DispatchFn dispatch_;
  std::function<void(HttpConnection*)> on_finished_;
  RequestParser parser_;
  net::Timer deadline_;

  std::string pending_input_;     // bytes after a complete request, not yet parsed
  bool handshake_done_ = false;
  bool busy_ = false;             // a request is being answered
  bool processing_ = false;       // inside Process(): a synchronous reply must not recurse
  bool close_after_response_ = false;
  bool peer_eof_ = false;
  bool closing_ = false;
  bool reading_paused_ = false;
  bool deadline_is_request_ = false;
  uint64_t generation_ = 0;       // which request a reply belongs to
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

  // File body in progress (eml download).
  FILE* file_ = nullptr;
  uint64_t file_left_ = 0;
};

}  // namespace mailtee::admin
