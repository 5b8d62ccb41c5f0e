// Fuzzes the admin server's request handling on arbitrary bytes: the HTTP
// request parser (input split at a fuzzer-chosen point, so state must survive
// between reads), then every parsed request through AdminServer::Dispatch —
// the route table, the session/CSRF guard and the handlers — and the response
// serialiser. Invariants: the parser consumes at most what it is given and
// always progresses, every request gets exactly one answer with a valid status,
// and a serialised response never carries a bare CR/LF from handler data in
// its head.
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "admin/admin_server.h"
#include "admin/http/request_parser.h"
#include "admin/http/response_writer.h"

namespace {

mailtee::admin::AdminServer* Server() {
  static uv_loop_t* loop = [] {
    auto* l = new uv_loop_t;
    uv_loop_init(l);
    return l;
  }();
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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mailtee::admin;
  if (size == 0) return 0;
  const bool local = data[0] & 0x80;
  std::string_view all(reinterpret_cast<const char*>(data) + 1, size - 1);
  size_t split = all.empty() ? 0 : (data[0] & 0x7f) % (all.size() + 1);
  std::string_view parts[2] = {all.substr(0, split), all.substr(split)};

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
