// The local admin socket: a Unix-domain listener whose connections are
// net::Streams (plaintext; StartTls* fails), so HttpConnection serves them
// exactly like HTTPS connections. The socket file is created with mode 0600:
// only root (the daemon's user) may connect, and that permission is the
// authentication of the local API.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "config/status.h"
#include "proxy/net/stream.h"

namespace mailtee::admin {

class UnixListener {
 public:
  using AcceptFn = std::function<void(std::unique_ptr<net::Stream>)>;

  // Removes a stale socket file at path (a previous run that crashed), binds,
  // chmods 0600 and listens. Refuses to remove anything that is not a socket.
  static Status Listen(uv_loop_t* loop, const std::string& path, AcceptFn on_accept,
                       std::unique_ptr<UnixListener>* out);
  ~UnixListener();
  // Stops accepting and unlinks the socket file; done runs from the close callback.
  void Close(std::function<void()> done);
  const std::string& path() const { return path_; }

  struct Handle;  // libuv-owned; public for the C callbacks

 private:
  UnixListener() = default;
  Handle* handle_ = nullptr;
  std::string path_;
};

}  // namespace mailtee::admin
