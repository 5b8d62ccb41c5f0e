// LogRateLimiter: lets a recurring log line through at most once per
// interval and counts the ones it held back, so a flood (refused admin
// connections) cannot fill the disk with log lines, yet the admin still
// learns how big it was from the next line.
#pragma once

#include <chrono>
#include <cstdint>

namespace mailtee::admin {

class LogRateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit LogRateLimiter(Clock::duration interval) : interval_(interval) {}

  // True when a line may be written now; then *held_back is how many calls
  // were refused since the last line that got through.
  bool Allow(Clock::time_point now, uint64_t* held_back) {
    if (written_ && now - last_ < interval_) {
      ++held_back_;
      return false;
    }
    written_ = true;
    last_ = now;
    *held_back = held_back_;
    held_back_ = 0;
    return true;
  }

 private:
  Clock::duration interval_;
  Clock::time_point last_{};
  bool written_ = false;
  uint64_t held_back_ = 0;
};

}  // namespace mailtee::admin
