#include "archive/store_capture.h"

namespace mailtee::archive {

StoreCapture::StoreCapture(ArchiveStore* store, SpoolMeta meta, std::unique_ptr<WritableFile> spool)
    : store_(store), meta_(std::move(meta)), spool_(std::move(spool)) {}

StoreCapture::~StoreCapture() {
  if (spool_) spool_->Close();
}

Status StoreCapture::Append(std::string_view bytes) {
  if (!append_error_.ok()) return append_error_;
  if (state_ != State::kReceiving)
    return Status::Error("append to message " + meta_.id + " after it was sealed");
  Status s = spool_->Append(bytes);
  if (!s.ok()) {
    append_error_ = s.WithContext("while spooling message " + meta_.id);
    return append_error_;
  }
  size_ += bytes.size();
  analyzer_.Feed(bytes);
  return Status::Ok();
}

Status StoreCapture::SealForRelay() {
  if (!append_error_.ok()) return append_error_;
  if (state_ != State::kReceiving) return Status::Error("message " + meta_.id + " sealed twice");
  Status s = spool_->Sync();
  if (!s.ok()) return s.WithContext("while sealing message " + meta_.id);
  spool_synced_ = true;
  meta_.phase = SpoolPhase::kSealed;
  s = store_->WriteMeta(meta_, /*durable=*/true);  // fsyncs the meta and the spool folder
  if (!s.ok()) {
    meta_.phase = SpoolPhase::kReceiving;
    return s;
  }
  state_ = State::kSealed;
  return Status::Ok();
}

Status StoreCapture::Commit(const Outcome& outcome) {
  if (!append_error_.ok()) return append_error_;
  if (state_ == State::kDone) return Status::Error("message " + meta_.id + " committed twice");
  const std::string context = "while committing message " + meta_.id;
  commit_attempted_ = true;

  if (state_ != State::kVerdictRecorded) {
    // POP3 captures commit without a seal: the bytes must be on disk before
    // the verdict that points at them.
    if (!spool_synced_) {
      Status s = spool_->Sync();
      if (!s.ok()) return s.WithContext(context);
      spool_synced_ = true;
    }
    Status s = spool_->Close();
    if (!s.ok()) return s.WithContext(context);
    SpoolMeta with_verdict = meta_;
    with_verdict.phase = PhaseForOutcome(outcome.kind);
    with_verdict.has_outcome = true;
    with_verdict.outcome = outcome;
    s = store_->WriteMeta(with_verdict, /*durable=*/true);
    if (!s.ok()) return s;
    // From here on the message is owed to the archive: a failure below is
    // finished by a retried Commit or by Recover() at the next start.
    meta_ = std::move(with_verdict);
    state_ = State::kVerdictRecorded;
  }
  if (!summary_) summary_ = analyzer_.Finish();
  Status s = store_->FinishCommit(meta_, &*summary_);
  if (!s.ok()) return s;
  state_ = State::kDone;
  return Status::Ok();
}

void StoreCapture::Abort(const std::string& reason) {
  if (state_ == State::kDone) return;
  if (state_ == State::kVerdictRecorded || (state_ == State::kSealed && commit_attempted_)) {
    // The provider has seen (and judged) this message: it is kept for
    // Recover(), with the recorded verdict or else as "unknown".
    store_->Log(LogKind::kSystem, "message " + meta_.id + ": abort ignored, the provider already judged it (" +
                                      reason + "); it is archived at the next start");
    return;
  }
  spool_->Close();
  Env* env = store_->env_;
  Status s = env->RemoveFile(store_->SpoolPath(meta_.id, ".eml.part"));
  Status m = env->RemoveFile(store_->SpoolPath(meta_.id, ".meta"));
  std::string line = "message " + meta_.id + " aborted after " + std::to_string(size_) + " bytes: " + reason;
  if (!s.ok()) line += "; " + s.message();
  if (!m.ok()) line += "; " + m.message();
  store_->Log(LogKind::kSystem, line);
  state_ = State::kDone;
}

}  // namespace mailtee::archive
