#include "proxy/net/refusal_log.h"

#include <uv.h>

namespace mailtee::net {

RefusalLog::RefusalLog(uv_loop_t* loop) : loop_(loop), flush_timer_(loop) {}

void RefusalLog::Note(const std::string& client, const std::string& reason) {
  if (!write_) return;
  uv_update_time(loop_);
  const uint64_t now = uv_now(loop_);
  if (!wrote_once_ || now - last_write_ms_ >= interval_ms_) {
    flush_timer_.Stop();
    uint64_t more = held_;
    held_ = 0;
    wrote_once_ = true;
    last_write_ms_ = now;
    write_(client, reason, more);
    return;
  }
  ++held_;
  held_client_ = client;
  held_reason_ = reason;
  if (!flush_timer_.active()) flush_timer_.Start(last_write_ms_ + interval_ms_ - now, [this] { Flush(); });
}

void RefusalLog::Close() {
  Flush();
  flush_timer_.Close();
}

// The latest held refusal is written, standing for the others held with it.
void RefusalLog::Flush() {
  if (held_ == 0 || !write_) return;
  uint64_t more = held_ - 1;
  held_ = 0;
  uv_update_time(loop_);
  last_write_ms_ = uv_now(loop_);
  write_(held_client_, held_reason_, more);
}

}  // namespace mailtee::net
