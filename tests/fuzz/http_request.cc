// Fuzzes the admin server's request handling on arbitrary bytes: the HTTP
// request parser (input split at a fuzzer-chosen point, so state must survive
// between reads), then every parsed request through AdminServer::Dispatch —
// the route table, the session/CSRF guard and the handlers — and the response
// serialiser. Invariants: the parser consumes at most what it is given and
// always progresses, every request gets exactly one answer with a valid status,
// and a serialised response never carries a bare CR/LF from handler data in
// its head.
// Then the same two reads go through the connection layer a client really
// meets (HttpConnection over an in-memory net::Stream, then end of input):
// pipelining, held-back input, 100-continue, error replies and close; what it
// writes must be HTTP responses.
#include <sys/socket.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "admin/admin_server.h"
#include "admin/http/http_connection.h"
#include "admin/http/request_parser.h"
#include "admin/http/response_writer.h"
#include "proxy/net/stream.h"

namespace {

uv_loop_t* Loop() {
  static uv_loop_t* loop = [] {
    auto* l = new uv_loop_t;
    uv_loop_init(l);
    return l;
  }();
  return loop;
}

// A plaintext net::Stream in memory: writes are collected (and count as sent
// at once), Close() is only recorded; the fuzzer delivers on_closed itself,
// outside every callback, as libuv would.
class MemoryStream final : public mailtee::net::Stream {
 public:
  MemoryStream() {
    peer_.family = AF_INET;
    peer_.text = "192.0.2.1";
  }
  void SetCallbacks(Callbacks cb) override { cb_ = std::move(cb); }
  void Write(std::string_view bytes) override { written.append(bytes); }
  size_t pending_write_bytes() const override { return 0; }
  void PauseReading() override {}
  void ResumeReading() override {}
  void StartTlsServer(SSL_CTX*, std::function<void(const mailtee::Status&)> done) override {
    done(mailtee::Status::Error("no TLS in the fuzzer"));
  }
  void StartTlsClient(SSL_CTX*, const std::string&, bool, std::function<void(const mailtee::Status&)> done) override {
    done(mailtee::Status::Error("no TLS in the fuzzer"));
  }
  bool is_tls() const override { return false; }
  std::string tls_description() const override { return ""; }
  void Close() override { closing_ = true; }
  bool closing() const override { return closing_; }
  const mailtee::net::PeerAddress& peer() const override { return peer_; }

  const Callbacks& callbacks() const { return cb_; }
  std::string written;

 private:
  Callbacks cb_;
  mailtee::net::PeerAddress peer_;
  bool closing_ = false;
};

mailtee::admin::AdminServer* Server() {
  static uv_loop_t* loop = Loop();
  static mailtee::admin::AdminServer* server = [] {
    mailtee::admin::AdminSettings settings;
    settings.https_enabled = false;
    settings.users_file = "/nonexistent/admin-users.xml";
    settings.storage_dir = "/nonexistent";
    settings.max_pending_logins = 0;  // never start an Argon2 hash in the fuzzer
    return new mailtee::admin::AdminServer(loop, settings, nullptr, {});
  }();
  return server;
}

// The two reads through HttpConnection (local socket or TCP without TLS).
void FuzzConnection(std::string_view first, std::string_view second, bool local) {
  using namespace mailtee::admin;
  auto owned = std::make_unique<MemoryStream>();
  MemoryStream* stream = owned.get();
  ConnectionOptions options;
  options.limits.max_head_bytes = 4096;
  options.limits.max_body_bytes = 4096;
  options.local_socket = local;
  bool finished = false;
  auto connection = std::make_unique<HttpConnection>(
      Loop(), std::move(owned), nullptr, options,
      [](Request request, Reply reply) { Server()->Dispatch(std::move(request), std::move(reply)); },
      [&finished](HttpConnection*) { finished = true; });
  connection->Start();
  for (std::string_view part : {first, second}) {
    if (stream->closing()) break;
    if (!part.empty() && stream->callbacks().on_data) stream->callbacks().on_data(part);
  }
  if (!stream->closing() && stream->callbacks().on_eof) stream->callbacks().on_eof();
  if (!stream->written.empty() && stream->written.rfind("HTTP/1.1 ", 0) != 0) __builtin_trap();
  connection->Close();
  if (stream->callbacks().on_closed) stream->callbacks().on_closed();  // as libuv's close callback would
  if (!finished) __builtin_trap();  // on_finished follows on_closed exactly once
  connection.reset();
  uv_run(Loop(), UV_RUN_NOWAIT);  // release the deadline timer's handle
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mailtee::admin;
  if (size == 0) return 0;
  const bool local = data[0] & 0x80;
  std::string_view all(reinterpret_cast<const char*>(data) + 1, size - 1);
  size_t split = all.empty() ? 0 : (data[0] & 0x7f) % (all.size() + 1);
  std::string_view parts[2] = {all.substr(0, split), all.substr(split)};
  FuzzConnection(parts[0], parts[1], local);

  ParserLimits limits;
  limits.max_head_bytes = 4096;
  limits.max_body_bytes = 4096;
  RequestParser parser(limits);
  for (std::string_view part : parts) {
    while (!part.empty()) {
      size_t used = 0;
      RequestParser::Result r = parser.Feed(part, &used);
      if (used > part.size()) __builtin_trap();
      part.remove_prefix(used);
      if (r == RequestParser::Result::kError) {
        if (parser.error_status() < 400 || parser.error_status() > 599) __builtin_trap();
        return 0;
      }
      if (r == RequestParser::Result::kNeedMore) {
        if (!part.empty()) __builtin_trap();  // kNeedMore means everything was consumed
        break;
      }
      Request request = parser.TakeRequest();
      if (request.body.size() > limits.max_body_bytes) __builtin_trap();
      request.local_socket = local;
      request.peer_ip = local ? "local" : "192.0.2.1";
      const bool head = request.method == "HEAD";
      int answers = 0;
      Server()->Dispatch(std::move(request), [&](Response response) {
        ++answers;
        if (response.status < 100 || response.status > 599) __builtin_trap();
        WriteOptions options;
        options.head_only = head;
        std::string bytes = SerializeResponse(response, options);
        size_t head_end = bytes.find("\r\n\r\n");
        if (head_end == std::string::npos) __builtin_trap();
        std::string_view head_text(bytes.data(), head_end);
        for (size_t i = 0; i < head_text.size(); ++i) {
          if (head_text[i] == '\n' && (i == 0 || head_text[i - 1] != '\r')) __builtin_trap();
          if (head_text[i] == '\r' && (i + 1 >= head_text.size() || head_text[i + 1] != '\n')) __builtin_trap();
        }
      });
      if (answers != 1) __builtin_trap();
    }
  }
  return 0;
}
