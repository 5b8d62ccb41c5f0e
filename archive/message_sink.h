// MessageSink: the seam between the proxy (which streams message bytes) and the
// archive (which makes them durable). The proxy sees only this header and
// archive/log_book.h; everything else in archive/ is internal.
//
// Threading: Begin/Append/Abort run on the event loop (Append is a plain
// buffered write(2) to the spool file plus incremental hashing/header scanning,
// no fsync). SealForRelay and Commit fsync and rename: call them on a worker
// thread (uv_queue_work); one Capture is never used by two threads at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/status.h"

namespace mailtee::archive {

enum class Direction { kSent, kReceived };

struct MessageContext {
  Direction direction = Direction::kSent;
  std::string protocol;                 // "smtp" | "pop3"
  std::string listener;                 // listener name
  std::string user;                     // authenticated login; empty: envelope sender is used
  std::string client_ip;
  std::chrono::system_clock::time_point received_at;
  std::string envelope_from;            // SMTP only
  std::vector<std::string> envelope_to; // SMTP only, one per accepted RCPT
  std::string uidl;                     // POP3 only, when known
  std::string upstream;                 // "host:port" the message was relayed to / fetched from
};

struct Outcome {
  enum class Kind { kRelayed, kRefused, kUnknown, kHeld };
  Kind kind = Kind::kRelayed;
  int code = 0;                         // provider's reply code (250, 554, ...)
  std::string reply;                    // provider's full reply text, verbatim
  std::chrono::system_clock::time_point relayed_at;
};

// One message being captured. Bytes are the message as relayed: dot-unstuffed, CRLF.
class Capture {
 public:
  virtual ~Capture() = default;
  virtual const std::string& id() const = 0;
  virtual Status Append(std::string_view bytes) = 0;
  virtual uint64_t size() const = 0;
  // Worker thread. fsync the spool and record durably that the end of data is
  // about to be sent upstream (recovery then archives it with outcome unknown
  // rather than dropping it).
  virtual Status SealForRelay() = 0;
  // Worker thread. Records the provider's verdict durably, then moves the spool
  // into the archive (.eml + report). kRefused writes only the report. For
  // received mail (POP3) a message the user already has (same SHA-256) gains a
  // retrieval (its retrieval journal, folded into its report) instead of a
  // second copy.
  virtual Status Commit(const Outcome& outcome) = 0;
  // Loop thread. The message is incomplete (client gone, upstream cut off):
  // the spool is removed and nothing is archived. reason goes to the log.
  virtual void Abort(const std::string& reason) = 0;
};

class MessageSink {
 public:
  virtual ~MessageSink() = default;
  virtual Status Begin(const MessageContext& context, std::unique_ptr<Capture>* capture) = 0;
};

}  // namespace mailtee::archive
