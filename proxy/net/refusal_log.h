// RefusalLog: rate-limited log lines for connections a listener refuses (over
// a connection cap, out of file descriptors, accept errors). A flood of
// refused clients must not turn into a flood of log lines, yet every refusal
// is counted: at most one line per interval is written, and each line says
// how many further refusals it stands for ("more"). Refusals held back at the
// end of a burst are written by a timer once the interval has passed.
//
// Lifetime: like Timer, destroy it at any time; nothing fires afterwards.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "proxy/net/timer.h"

namespace mailtee::net {

class RefusalLog {
 public:
  // client: the refused client's address text ("" when unknown); reason: a
  // short sentence; more: refusals held back since the previous line.
  using WriteFn = std::function<void(const std::string& client, const std::string& reason, uint64_t more)>;

  explicit RefusalLog(uv_loop_t* loop);
  void set_write(WriteFn write, uint64_t interval_ms) {
    write_ = std::move(write);
    interval_ms_ = interval_ms;
  }
  void Note(const std::string& client, const std::string& reason);
  // Writes what is held back (if a writer is still set) and releases the timer.
  void Close();

 private:
  void Flush();

  uv_loop_t* loop_;
  WriteFn write_;
  uint64_t interval_ms_ = 1000;
  bool wrote_once_ = false;
  uint64_t last_write_ms_ = 0;
  uint64_t held_ = 0;             // refusals since the last line
  std::string held_client_, held_reason_;  // the latest of them
  Timer flush_timer_;
};

}  // namespace mailtee::net
