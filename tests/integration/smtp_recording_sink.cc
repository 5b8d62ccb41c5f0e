#include "tests/integration/smtp_recording_sink.h"

namespace mailtee::smtp_testing {

class SmtpRecordingSink::RecordingCapture : public archive::Capture {
 public:
  RecordingCapture(SmtpRecordingSink* sink, size_t index, std::string id) : sink_(sink), index_(index), id_(std::move(id)) {}
  const std::string& id() const override { return id_; }
  Status Append(std::string_view bytes) override {
    if (sink_->fail_append) return Status::Error("injected append failure (no space left on device)");
    std::lock_guard<std::mutex> lock(sink_->mu_);
    if (sink_->keep_bytes) sink_->records_[index_].bytes.append(bytes);
    sink_->records_[index_].size += bytes.size();
    size_ += bytes.size();
    return Status::Ok();
  }
  uint64_t size() const override { return size_; }
  Status SealForRelay() override {
    if (sink_->on_seal) sink_->on_seal();
    if (sink_->fail_seal) return Status::Error("injected fsync failure");
    std::lock_guard<std::mutex> lock(sink_->mu_);
    sink_->records_[index_].sealed = true;
    return Status::Ok();
  }
  Status Commit(const archive::Outcome& outcome) override {
    if (sink_->on_commit) sink_->on_commit();
    if (sink_->fail_commit) return Status::Error("injected commit failure");
    std::lock_guard<std::mutex> lock(sink_->mu_);
    sink_->records_[index_].committed = true;
    sink_->records_[index_].outcome = outcome;
    return Status::Ok();
  }
  void Abort(const std::string& reason) override {
    std::lock_guard<std::mutex> lock(sink_->mu_);
    sink_->records_[index_].aborted = true;
    sink_->records_[index_].abort_reason = reason;
  }

 private:
  SmtpRecordingSink* sink_;
  size_t index_;
  std::string id_;
  uint64_t size_ = 0;
};

Status SmtpRecordingSink::Begin(const archive::MessageContext& context, std::unique_ptr<archive::Capture>* capture) {
  if (fail_begin) return Status::Error("injected begin failure (spool folder not writable)");
  std::lock_guard<std::mutex> lock(mu_);
  Record r;
  r.id = "msg" + std::to_string(records_.size() + 1);
  r.context = context;
  records_.push_back(r);
  *capture = std::make_unique<RecordingCapture>(this, records_.size() - 1, r.id);
  return Status::Ok();
}

std::vector<SmtpRecordingSink::Record> SmtpRecordingSink::records() {
  std::lock_guard<std::mutex> lock(mu_);
  return records_;
}

}  // namespace mailtee::smtp_testing
