// RetrievalTee: copies one retrieved message (RETR, or a TOP that turns out to
// return the whole message) into the archive as its dot-unstuffed bytes stream
// past. Socket-free: the session feeds it and commits the capture it yields.
//
// RETR: the capture begins at once and every byte is appended as it arrives.
// TOP n m: returns the header, the blank line and the first m body lines. It is
// the whole message when fewer than m body lines came back, or when its size
// equals the LIST size of message n seen earlier in the session. Until that is
// known the bytes are held in memory up to kTopHoldBytes (headers-only TOPs,
// the common case, never touch the spool); past that the capture begins and is
// aborted at the end if the TOP was partial.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "archive/message_sink.h"
#include "config/status.h"

namespace mailtee::pop3 {

constexpr size_t kTopHoldBytes = 64 << 10;

class RetrievalTee {
 public:
  static std::unique_ptr<RetrievalTee> ForRetr(archive::MessageSink* sink, archive::MessageContext context);
  static std::unique_ptr<RetrievalTee> ForTop(archive::MessageSink* sink, archive::MessageContext context,
                                              uint32_t lines_requested, std::optional<uint64_t> listed_size);
  ~RetrievalTee();

  // Dot-unstuffed bytes of the response body. An error (spool full, ...) means
  // the capture was aborted; the session must not let the client see the end.
  Status Append(std::string_view data);
  // At the terminator. *capture: the capture to Commit (on a worker thread), or
  // null when there is nothing to archive (a partial TOP; *why says so).
  Status Finish(std::unique_ptr<archive::Capture>* capture, std::string* why);
  // The response was cut off: nothing is archived.
  void Abort(const std::string& reason);

  uint64_t size() const { return size_; }
  bool is_top() const { return is_top_; }

 private:
  RetrievalTee(archive::MessageSink* sink, archive::MessageContext context, bool is_top,
               uint32_t lines_requested, std::optional<uint64_t> listed_size);
  Status BeginCapture();
  void CountLines(std::string_view data);
  bool TopIsWholeMessage() const;

  archive::MessageSink* sink_;
  archive::MessageContext context_;
  bool is_top_;
  uint32_t lines_requested_;
  std::optional<uint64_t> listed_size_;
  std::unique_ptr<archive::Capture> capture_;
  std::string held_;            // TOP bytes not yet in a capture
  uint64_t size_ = 0;
  // TOP line counting over the unstuffed bytes.
  bool in_header_ = true;
  uint64_t current_line_length_ = 0;
  uint64_t body_lines_ = 0;
  bool failed_ = false;
};

}  // namespace mailtee::pop3
