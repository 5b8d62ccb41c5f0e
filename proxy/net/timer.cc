// Timer over uv_timer_t. The handle lives in its own allocation that only
// libuv's close callback frees, so ~Timer never races libuv.
#include "proxy/net/timer.h"

#include <uv.h>

#include <utility>

namespace mailtee::net {

struct Timer::Handle {
  uv_timer_t timer;
  Timer* owner = nullptr;  // cleared when the Timer dies first
  std::function<void()> cb;
  std::function<void()> close_done;
  bool repeating = false;
  bool closing = false;
};

Timer::Timer(uv_loop_t* loop) : handle_(new Handle) {
  handle_->owner = this;
  uv_timer_init(loop, &handle_->timer);
  handle_->timer.data = handle_;
}

Timer::~Timer() {
  if (!handle_) return;  // already released by Close
  handle_->owner = nullptr;
  Close(nullptr);
}

void Timer::Start(uint64_t timeout_ms, std::function<void()> cb, uint64_t repeat_ms) {
  if (!handle_ || handle_->closing) return;
  handle_->cb = std::move(cb);
  handle_->repeating = repeat_ms != 0;
  uv_timer_start(&handle_->timer, [](uv_timer_t* t) {
    auto* h = static_cast<Handle*>(t->data);
    // Take the callback out first: it may Start() (replacing h->cb), Stop(), or
    // destroy the Timer while it runs; h itself stays valid until uv_close ends.
    std::function<void()> cb = h->repeating ? h->cb : std::move(h->cb);
    if (!h->repeating) h->cb = nullptr;
    if (cb) cb();
  }, timeout_ms, repeat_ms);
}

void Timer::Stop() {
  if (!handle_ || handle_->closing) return;
  uv_timer_stop(&handle_->timer);
  handle_->cb = nullptr;
}

bool Timer::active() const {
  return handle_ && !handle_->closing && uv_is_active(reinterpret_cast<const uv_handle_t*>(&handle_->timer));
}

void Timer::Close(std::function<void()> done) {
  Handle* h = handle_;
  if (!h) return;  // released already
  if (h->closing) {
    if (done) h->close_done = std::move(done);
    return;
  }
  h->closing = true;
  h->cb = nullptr;
  h->close_done = std::move(done);
  uv_close(reinterpret_cast<uv_handle_t*>(&h->timer), [](uv_handle_t* raw) {
    auto* handle = static_cast<Handle*>(raw->data);
    std::function<void()> done_cb = std::move(handle->close_done);
    if (handle->owner) handle->owner->handle_ = nullptr;
    delete handle;
    if (done_cb) done_cb();
  });
}

}  // namespace mailtee::net
