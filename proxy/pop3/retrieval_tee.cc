#include "proxy/pop3/retrieval_tee.h"

namespace mailtee::pop3 {

std::unique_ptr<RetrievalTee> RetrievalTee::ForRetr(archive::MessageSink* sink, archive::MessageContext context) {
  return std::unique_ptr<RetrievalTee>(new RetrievalTee(sink, std::move(context), false, 0, std::nullopt));
}

std::unique_ptr<RetrievalTee> RetrievalTee::ForTop(archive::MessageSink* sink, archive::MessageContext context,
                                                   uint32_t lines_requested, std::optional<uint64_t> listed_size) {
  return std::unique_ptr<RetrievalTee>(
      new RetrievalTee(sink, std::move(context), true, lines_requested, listed_size));
}

RetrievalTee::RetrievalTee(archive::MessageSink* sink, archive::MessageContext context, bool is_top,
                           uint32_t lines_requested, std::optional<uint64_t> listed_size)
    : sink_(sink), context_(std::move(context)), is_top_(is_top), lines_requested_(lines_requested),
      listed_size_(listed_size) {}

RetrievalTee::~RetrievalTee() {
  // A tee dropped without Finish/Abort must not leave a spool behind.
  if (capture_) capture_->Abort("retrieval abandoned");
}

Status RetrievalTee::BeginCapture() {
  Status s = sink_->Begin(context_, &capture_);
  if (!s.ok()) {
    failed_ = true;
    return s.WithContext("while starting the archive copy");
  }
  if (!held_.empty()) {
    s = capture_->Append(held_);
    held_.clear();
    held_.shrink_to_fit();
    if (!s.ok()) {
      Abort("archive write failed: " + s.message());
      failed_ = true;
      return s.WithContext("while writing the archive copy");
    }
  }
  return Status::Ok();
}

Status RetrievalTee::Append(std::string_view data) {
  if (failed_) return Status::Error("archive copy already failed");
  size_ += data.size();
  if (is_top_) CountLines(data);
  if (!capture_) {
    if (is_top_ && held_.size() + data.size() <= kTopHoldBytes) {
      held_.append(data);
      return Status::Ok();
    }
    Status s = BeginCapture();
    if (!s.ok()) return s;
  }
  Status s = capture_->Append(data);
  if (!s.ok()) {
    Abort("archive write failed: " + s.message());
    failed_ = true;
    return s.WithContext("while writing the archive copy");
  }
  return Status::Ok();
}

void RetrievalTee::CountLines(std::string_view data) {
  for (char c : data) {
    if (c == '\n') {
      if (in_header_ && current_line_length_ == 0) {
        in_header_ = false;  // the blank line between header and body
      } else if (!in_header_) {
        ++body_lines_;
      }
      current_line_length_ = 0;
    } else if (c != '\r') {
      ++current_line_length_;
    }
  }
}

bool RetrievalTee::TopIsWholeMessage() const {
  if (listed_size_ && *listed_size_ == size_) return true;
  if (in_header_) return lines_requested_ > 0;  // no body at all: the header is everything
  return body_lines_ < lines_requested_;
}

Status RetrievalTee::Finish(std::unique_ptr<archive::Capture>* capture, std::string* why) {
  capture->reset();
  if (failed_) return Status::Error("archive copy failed earlier");
  if (is_top_ && !TopIsWholeMessage()) {
    *why = "TOP returned part of the message";
    if (capture_) capture_->Abort(*why);
    capture_.reset();
    held_.clear();
    return Status::Ok();
  }
  if (!capture_) {
    Status s = BeginCapture();  // a whole message that fit in the hold buffer (or is empty)
    if (!s.ok()) return s;
  }
  *capture = std::move(capture_);
  return Status::Ok();
}

void RetrievalTee::Abort(const std::string& reason) {
  if (capture_) capture_->Abort(reason);
  capture_.reset();
  held_.clear();
}

}  // namespace mailtee::pop3
