// FakeHoldGate: a scripted smtp::HoldGate for SMTP session tests. It records
// every call (thread-safe: the session calls it on the loop and Persist on a
// worker, the test reads from its own thread).
//   Screen: sender containing "pass" -> no screen; a recipient at
//   "@certain.example" -> held_regardless_of_content; otherwise a screen that
//   holds when the content contains "HOLDME".
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "proxy/smtp/hold_gate.h"

namespace mailtee::smtp_testing {

class FakeHoldGate : public smtp::HoldGate {
 public:
  struct ScreenRecord {
    smtp::HoldEnvelope envelope;
    bool certain = false;
    std::string bytes;
    bool asked = false;        // ShouldHold called
    std::string persisted_id;  // Persist succeeded with this archive id
    bool announced = false;
    bool discarded = false;
  };
  struct CommandRecord {
    smtp::HoldEnvelope envelope;
    std::string message;
  };

  std::string approval_address = "approval@mailtee.local";
  std::string command_reply = "250 2.0.0 command accepted";
  std::atomic<bool> fail_persist{false};
  std::atomic<int> persist_delay_ms{0};  // a slow disk: Persist sleeps this long first

  bool IsApprovalAddress(std::string_view rcpt) const override { return rcpt == approval_address; }
  std::unique_ptr<smtp::HoldScreen> Screen(const smtp::HoldEnvelope& envelope) override;
  std::string HandleMailCommand(const smtp::HoldEnvelope& envelope, std::string_view message) override;

  std::vector<ScreenRecord> screens();
  std::vector<CommandRecord> commands();

 private:
  class FakeScreen;
  std::mutex mu_;
  std::vector<ScreenRecord> screens_;
  std::vector<CommandRecord> commands_;
};

}  // namespace mailtee::smtp_testing
