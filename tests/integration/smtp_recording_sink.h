// SmtpRecordingSink: a MessageSink for SMTP integration tests that keeps each
// captured message in memory with its lifecycle (sealed / committed / aborted,
// outcome) and can inject archive faults (begin, append, seal, commit).
// Thread-safe: Seal/Commit run on libuv worker threads.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "archive/message_sink.h"

namespace mailtee::smtp_testing {

class SmtpRecordingSink : public archive::MessageSink {
 public:
  struct Record {
    std::string id;
    archive::MessageContext context;
    std::string bytes;         // empty when keep_bytes is false
    uint64_t size = 0;
    bool sealed = false;
    bool committed = false;
    bool aborted = false;
    std::string abort_reason;
    archive::Outcome outcome;
  };

  Status Begin(const archive::MessageContext& context, std::unique_ptr<archive::Capture>* capture) override;
  std::vector<Record> records();

  std::atomic<bool> keep_bytes{true};  // false: count only (big-message tests)
  std::atomic<bool> fail_begin{false};
  std::atomic<bool> fail_append{false};
  std::atomic<bool> fail_seal{false};
  std::atomic<bool> fail_commit{false};
  // Runs on the worker thread inside SealForRelay / Commit (before they succeed).
  std::function<void()> on_seal;
  std::function<void()> on_commit;

 private:
  class RecordingCapture;
  std::mutex mu_;
  std::vector<Record> records_;
};

}  // namespace mailtee::smtp_testing
