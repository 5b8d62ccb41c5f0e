// Cancellable outbound connect. net::Connect (stream.h) always calls done once;
// an owner that may go away first (a session whose client hung up) can use
// StartConnect instead: destroying the returned PendingConnect, or calling
// Cancel(), guarantees done is never called, and a connection that completes
// anyway is closed and freed by the network layer (CloseAndDiscard).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "proxy/net/stream.h"

namespace mailtee::net {

class PendingConnect {
 public:
  struct State;  // shared with the running operation
  explicit PendingConnect(std::shared_ptr<State> state) : state_(std::move(state)) {}
  ~PendingConnect() { Cancel(); }
  PendingConnect(const PendingConnect&) = delete;
  PendingConnect& operator=(const PendingConnect&) = delete;

  // No-op once done has run.
  void Cancel();

 private:
  std::shared_ptr<State> state_;
};

std::unique_ptr<PendingConnect> StartConnect(
    uv_loop_t* loop, const std::string& host, uint16_t port, int timeout_seconds,
    std::function<void(Status, std::unique_ptr<Stream>)> done);

}  // namespace mailtee::net
