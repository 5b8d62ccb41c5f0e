// RateDeadline: how long a peer may take over a message body it streams
// (SMTP DATA/BDAT from the client, POP3 RETR/TOP to it). An idle timeout that
// every byte re-arms lets one byte every few seconds hold a session forever
// (slowloris); a fixed deadline would kill an honest 30 MB upload over a slow
// VPN. So the peer gets grace_ms plus what its bytes are worth at min_rate
// bytes/s: bytes extend the deadline by size / rate, they never reset it.
// Only the peer's own time counts: between Hold() and Run() (we waited for
// the provider or the disk) the clock stops. Pure arithmetic on a millisecond
// clock the caller passes in (uv_now), so it is unit-tested without a loop.
#pragma once

#include <cstdint>

namespace mailtee::net {

class RateDeadline {
 public:
  // Starts a new body, held until Run(). min_rate 0: no deadline (enabled() false).
  void Reset(uint64_t grace_ms, uint64_t min_rate);
  void Run(uint64_t now_ms);   // the peer's turn: its time counts from now
  void Hold(uint64_t now_ms);  // not the peer's turn: the clock stops
  void Add(uint64_t bytes) { bytes_ += bytes; }
  bool enabled() const { return min_rate_ > 0; }
  // Milliseconds the peer has left (0: over the deadline).
  uint64_t RemainingMs(uint64_t now_ms) const;

 private:
  uint64_t grace_ms_ = 0;
  uint64_t min_rate_ = 0;
  uint64_t bytes_ = 0;
  uint64_t used_ms_ = 0;        // peer time before the current run
  uint64_t running_since_ = 0;
  bool running_ = false;
};

}  // namespace mailtee::net
