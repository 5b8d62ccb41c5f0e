#include "proxy/net/rate_deadline.h"

namespace mailtee::net {

void RateDeadline::Reset(uint64_t grace_ms, uint64_t min_rate) {
  *this = RateDeadline();
  grace_ms_ = grace_ms;
  min_rate_ = min_rate;
}

void RateDeadline::Run(uint64_t now_ms) {
  if (running_) return;
  running_ = true;
  running_since_ = now_ms;
}

void RateDeadline::Hold(uint64_t now_ms) {
  if (!running_) return;
  running_ = false;
  used_ms_ += now_ms - running_since_;
}

uint64_t RateDeadline::RemainingMs(uint64_t now_ms) const {
  if (!enabled()) return UINT64_MAX;
  const uint64_t used = used_ms_ + (running_ ? now_ms - running_since_ : 0);
  const uint64_t allowed = grace_ms_ + bytes_ * 1000 / min_rate_;
  return used >= allowed ? 0 : allowed - used;
}

}  // namespace mailtee::net
