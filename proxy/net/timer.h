// Timer: an owned one-shot or repeating libuv timer for protocol timeouts
// (idle client, upstream reply deadline, close grace).
//
// Lifetime: unlike Stream, a Timer may be destroyed at any time, even from its
// own callback: the uv_timer_t lives in a separate allocation that libuv's close
// callback frees, and no callback fires after Stop(), Close() or destruction.
// Close(done) is for owners that want to know when the handle is released (e.g.
// before uv_loop_close); most owners simply destroy the Timer.
#pragma once

#include <cstdint>
#include <functional>

typedef struct uv_loop_s uv_loop_t;

namespace mailtee::net {

class Timer {
 public:
  explicit Timer(uv_loop_t* loop);
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // (Re)arms the timer: fires cb after timeout_ms, then every repeat_ms if non-zero.
  // Calling Start again replaces the previous deadline and callback.
  void Start(uint64_t timeout_ms, std::function<void()> cb, uint64_t repeat_ms = 0);
  void Stop();
  bool active() const;

  // Stops and releases the handle; done (may be empty) runs from the close callback.
  // After Close, Start is ignored.
  void Close(std::function<void()> done = nullptr);

 private:
  struct Handle;
  Handle* handle_;  // freed by libuv's close callback, not by ~Timer
};

}  // namespace mailtee::net
