#include "tests/integration/smtp_hold_fake_gate.h"

#include <chrono>
#include <thread>

namespace mailtee::smtp_testing {

class FakeHoldGate::FakeScreen : public smtp::HoldScreen {
 public:
  FakeScreen(FakeHoldGate* gate, size_t index, bool certain) : gate_(gate), index_(index), certain_(certain) {}
  bool held_regardless_of_content() const override { return certain_; }
  Status Append(std::string_view bytes) override {
    std::lock_guard<std::mutex> lock(gate_->mu_);
    gate_->screens_[index_].bytes.append(bytes);
    return Status::Ok();
  }
  bool ShouldHold() override {
    std::lock_guard<std::mutex> lock(gate_->mu_);
    ScreenRecord& r = gate_->screens_[index_];
    r.asked = true;
    return certain_ || r.bytes.find("HOLDME") != std::string::npos;
  }
  Status Persist(const std::string& archive_id) override {
    if (gate_->persist_delay_ms > 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(gate_->persist_delay_ms.load()));
    if (gate_->fail_persist) return Status::Error("injected: hold queue unavailable");
    std::lock_guard<std::mutex> lock(gate_->mu_);
    gate_->screens_[index_].persisted_id = archive_id;
    id_ = archive_id;
    return Status::Ok();
  }
  std::string ClientReply() const override { return "250 2.0.0 held for approval " + id_; }
  void Announce() override {
    std::lock_guard<std::mutex> lock(gate_->mu_);
    gate_->screens_[index_].announced = true;
  }
  void Discard() override {
    std::lock_guard<std::mutex> lock(gate_->mu_);
    gate_->screens_[index_].discarded = true;
  }

 private:
  FakeHoldGate* gate_;
  size_t index_;
  bool certain_;
  std::string id_;
};

std::unique_ptr<smtp::HoldScreen> FakeHoldGate::Screen(const smtp::HoldEnvelope& envelope) {
  if (envelope.envelope_from.find("pass") != std::string::npos) return nullptr;
  bool certain = false;
  for (const auto& r : envelope.recipients)
    if (r.find("@certain.example") != std::string::npos) certain = true;
  std::lock_guard<std::mutex> lock(mu_);
  ScreenRecord rec;
  rec.envelope = envelope;
  rec.certain = certain;
  screens_.push_back(rec);
  return std::make_unique<FakeScreen>(this, screens_.size() - 1, certain);
}

std::string FakeHoldGate::HandleMailCommand(const smtp::HoldEnvelope& envelope, std::string_view message) {
  std::lock_guard<std::mutex> lock(mu_);
  commands_.push_back(CommandRecord{envelope, std::string(message)});
  return command_reply;
}

std::vector<FakeHoldGate::ScreenRecord> FakeHoldGate::screens() {
  std::lock_guard<std::mutex> lock(mu_);
  return screens_;
}

std::vector<FakeHoldGate::CommandRecord> FakeHoldGate::commands() {
  std::lock_guard<std::mutex> lock(mu_);
  return commands_;
}

}  // namespace mailtee::smtp_testing
