#include "admin/local_client.h"

#include <http_parser.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace mailtee::admin {
namespace {

struct ResponseState {
  LocalResponse* out;
  size_t max_body;
  std::string field;
  bool in_content_type = false;
  bool complete = false;
  bool too_big = false;
};

ResponseState* S(http_parser* p) { return static_cast<ResponseState*>(p->data); }

}  // namespace

std::string AdminSocketPath(const std::string& storage_dir) { return storage_dir + "/admin.sock"; }

Status LocalApiRequest(const std::string& socket_path, const std::string& method, const std::string& target,
                       LocalResponse* out, int timeout_ms, size_t max_body) {
  return LocalApiRequest(socket_path, method, target, "", out, timeout_ms, max_body);
}

Status LocalApiRequest(const std::string& socket_path, const std::string& method, const std::string& target,
                       const std::string& json_body, LocalResponse* out, int timeout_ms, size_t max_body) {
  *out = LocalResponse{};
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path) return Status::Error("admin socket path too long: " + socket_path);
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::PosixError("socket", errno);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    ::close(fd);
    std::string hint = err == ENOENT || err == ECONNREFUSED ? " (is mailtee running?)"
                       : err == EACCES                     ? " (the admin socket is for root, the daemon user and its group: try sudo)"
                                                           : "";
    return Status::PosixError("connect to " + socket_path + hint, err);
  }
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n";
  if (!json_body.empty() || method == "POST") {
    request += "Content-Type: application/json\r\nContent-Length: " + std::to_string(json_body.size()) + "\r\n";
  }
  request += "\r\n" + json_body;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  auto wait = [&](short events) -> Status {
    int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
    if (left <= 0) return Status::Error("timed out talking to " + socket_path);
    pollfd pfd{fd, events, 0};
    int rc = ::poll(&pfd, 1, left);
    if (rc == 0) return Status::Error("timed out talking to " + socket_path);
    if (rc < 0 && errno != EINTR) return Status::PosixError("poll " + socket_path, errno);
    return Status::Ok();
  };
  Status s;
  for (size_t sent = 0; s.ok() && sent < request.size();) {
    s = wait(POLLOUT);
    if (!s.ok()) break;
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EINTR && errno != EAGAIN) s = Status::PosixError("send to " + socket_path, errno);
    if (n > 0) sent += static_cast<size_t>(n);
  }

  http_parser parser;
  http_parser_init(&parser, HTTP_RESPONSE);
  ResponseState state{out, max_body};
  parser.data = &state;
  http_parser_settings settings;
  http_parser_settings_init(&settings);
  settings.on_header_field = [](http_parser* p, const char* at, size_t len) {
    S(p)->in_content_type = strncasecmp(at, "content-type", len) == 0 && len == 12;
    return 0;
  };
  settings.on_header_value = [](http_parser* p, const char* at, size_t len) {
    if (S(p)->in_content_type) S(p)->out->content_type.append(at, len);
    return 0;
  };
  settings.on_body = [](http_parser* p, const char* at, size_t len) {
    auto* st = S(p);
    if (st->out->body.size() + len > st->max_body) {
      st->too_big = true;
      return 1;
    }
    st->out->body.append(at, len);
    return 0;
  };
  settings.on_message_complete = [](http_parser* p) {
    S(p)->complete = true;
    S(p)->out->status = static_cast<int>(p->status_code);
    return 0;
  };
  char buf[64 * 1024];
  while (s.ok() && !state.complete) {
    s = wait(POLLIN);
    if (!s.ok()) break;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      s = Status::PosixError("read from " + socket_path, errno);
      break;
    }
    size_t parsed = http_parser_execute(&parser, &settings, buf, static_cast<size_t>(n));  // n == 0 signals EOF
    if (state.too_big) s = Status::Error("answer from " + socket_path + " is larger than the limit");
    else if (HTTP_PARSER_ERRNO(&parser) != HPE_OK || parsed != static_cast<size_t>(n))
      s = Status::Error(std::string("bad answer from ") + socket_path + ": " +
                        http_errno_description(HTTP_PARSER_ERRNO(&parser)));
    else if (n == 0 && !state.complete) s = Status::Error("the daemon closed " + socket_path + " mid-answer");
  }
  ::close(fd);
  return s;
}

}  // namespace mailtee::admin
