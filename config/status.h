// Status: the error value every layer returns across the event loop instead of
// throwing (after leveldb::Status). An error carries a human sentence with its
// context ("while sending MAIL FROM to upstream smtp.example:587: ...").
// config/ is the bottom layer, so the vocabulary shared by all layers lives here.
#pragma once

#include <string>
#include <utility>

namespace mailtee {

class Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(std::string message) { return Status(std::move(message)); }
  // Error from errno with the operation it interrupted, e.g. PosixError("open /x", errno).
  static Status PosixError(const std::string& context, int err);

  bool ok() const { return !failed_; }
  const std::string& message() const { return message_; }
  std::string ToString() const { return ok() ? "OK" : message_; }

  // Prefixes context as the error bubbles up: s.WithContext("while committing spool 42").
  Status WithContext(const std::string& context) const {
    if (ok()) return *this;
    return Status(message_ + " " + context);
  }

 private:
  explicit Status(std::string message) : failed_(true), message_(std::move(message)) {}
  bool failed_ = false;
  std::string message_;
};

}  // namespace mailtee
