#include "archive/store_capture.h"

#include "archive/group_sync.h"
#include "archive/thread_priority.h"

namespace mailtee::archive {

StoreCapture::StoreCapture(ArchiveStore* store, SpoolMeta meta, std::unique_ptr<WritableFile> spool,
                           std::unique_ptr<WritableFile> meta_file, bool entries_durable)
    : store_(store),
      meta_(std::move(meta)),
      spool_(std::move(spool)),
      meta_file_(std::move(meta_file)),
      spool_dir_synced_(entries_durable),
      analyze_while_streaming_(meta_.context.direction == Direction::kSent) {}

StoreCapture::~StoreCapture() {
  if (spool_) spool_->Close();
  if (meta_file_) meta_file_->Close();
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
  if (analyze_while_streaming_) analyzer_.Feed(bytes);
  return Status::Ok();
}

bool StoreCapture::SharesOneSyncForBytesAndRecord() const {
  return store_->group_sync_ && meta_file_ && !meta_damaged_;
}

Status StoreCapture::SyncFileSystem() {
  Status s = store_->group_sync_->Sync();
  if (s.ok()) spool_dir_synced_ = true;  // a syncfs makes the files' entries durable too
  return s;
}

Status StoreCapture::SyncSpool() { return store_->group_sync_ ? SyncFileSystem() : spool_->Sync(); }

Status StoreCapture::RecordPhase(const SpoolMeta& next) {
  Status s;
  if (meta_file_ && !meta_damaged_) {
    s = meta_file_->Append(SerializeSpoolUpdate(next));
    if (s.ok()) s = store_->group_sync_ ? SyncFileSystem() : meta_file_->Sync();
    if (s.ok()) return Status::Ok();
    meta_damaged_ = true;
  } else {
    if (meta_file_) meta_file_->Close();
    meta_file_.reset();
    s = store_->WriteMetaAtomically(next);  // also fsyncs the spool folder
    if (s.ok()) spool_dir_synced_ = true;
    return s;
  }
  return s.WithContext(std::string("while recording phase ") + SpoolPhaseName(next.phase) + " of message " + meta_.id);
}

Status StoreCapture::SealForRelay() {
  if (!append_error_.ok()) return append_error_;
  if (state_ != State::kReceiving) return Status::Error("message " + meta_.id + " sealed twice");
  SpoolMeta sealed = meta_;
  sealed.phase = SpoolPhase::kSealed;
  // With the shared sync, one sync covers the bytes and the sealed record,
  // which carries the bytes' SHA-256 (the streaming analysis is complete at
  // the end of data): Recover() drops a sealed record whose bytes did not
  // make it (a crash inside that sync, so the dot never went upstream).
  // Otherwise the bytes are synced first and the order keeps them safe.
  if (SharesOneSyncForBytesAndRecord() && analyze_while_streaming_) {
    if (!summary_) summary_ = analyzer_.Finish();
    sealed.spooled_sha256 = summary_->sha256_hex;
  }
  Status s;
  if (sealed.spooled_sha256.empty()) {
    s = SyncSpool();
    if (!s.ok()) return s.WithContext("while sealing message " + meta_.id);
    spool_synced_ = true;
  }
  s = RecordPhase(sealed);
  if (!s.ok()) return s;
  spool_synced_ = true;  // by the sync before the record, or the record's own
  if (!spool_dir_synced_) {
    // One folder fsync makes both files' creation durable (Begin made them).
    s = store_->env_->SyncDir(store_->storage_dir_ + "/spool");
    if (!s.ok()) return s.WithContext("while sealing message " + meta_.id);
    spool_dir_synced_ = true;
  }
  meta_ = std::move(sealed);
  state_ = State::kSealed;
  return Status::Ok();
}

Status StoreCapture::Commit(const Outcome& outcome) {
  // Nobody waits for a POP3 commit but the session's QUIT: it must not keep
  // the event loop from a CPU (thread_priority.h). Sent mail's 250 waits.
  std::optional<BackgroundPriorityScope> background;
  if (meta_.context.direction == Direction::kReceived) background.emplace(kReceivedCommitNice);
  if (!append_error_.ok()) return append_error_;
  if (state_ == State::kDone) return Status::Error("message " + meta_.id + " committed twice");
  const std::string context = "while committing message " + meta_.id;
  commit_attempted_ = true;

  if (state_ != State::kVerdictRecorded) {
    SpoolMeta with_verdict = meta_;
    with_verdict.phase = PhaseForOutcome(outcome.kind);
    with_verdict.has_outcome = true;
    with_verdict.outcome = outcome;
    // POP3 captures commit without a seal: the bytes must be on disk before
    // the verdict that points at them. With the shared sync, one sync covers
    // both, and the verdict carries the bytes' SHA-256: a crash inside that
    // sync that kept the verdict but not the bytes is then told apart by
    // Recover() and dropped (Commit never returned, so the session never
    // counted the message and its QUIT was never relayed).
    if (!spool_synced_ && meta_.context.direction == Direction::kReceived && SharesOneSyncForBytesAndRecord()) {
      MessageSummary summary;  // the analysis FinishCommit needs anyway, done first
      Status s = AnalyzeStoredMessage(store_->env_, store_->SpoolPath(meta_.spool_name, ".eml.part"), &summary);
      if (s.ok() && !summary.sha256_hex.empty()) {
        with_verdict.spooled_sha256 = summary.sha256_hex;
        summary_ = std::move(summary);
      }
    }
    if (!spool_synced_ && with_verdict.spooled_sha256.empty()) {
      Status s = SyncSpool();
      if (!s.ok()) return s.WithContext(context);
      spool_synced_ = true;
    }
    Status s = RecordPhase(with_verdict);
    if (!s.ok()) return s;
    spool_synced_ = true;  // by the sync before the record, or the record's own
    if (!spool_dir_synced_) {
      s = store_->env_->SyncDir(store_->storage_dir_ + "/spool");
      if (!s.ok()) return s.WithContext(context);
      spool_dir_synced_ = true;
    }
    // From here on the message is owed to the archive: a failure below is
    // finished by a retried Commit or by Recover() at the next start.
    meta_ = std::move(with_verdict);
    state_ = State::kVerdictRecorded;
    s = spool_->Close();
    if (s.ok() && meta_file_) s = meta_file_->Close();
    meta_file_.reset();
    if (!s.ok()) return s.WithContext(context);
  }
  // Received mail: FinishCommit reads the spooled bytes back (page cache) on
  // this worker thread instead.
  if (analyze_while_streaming_ && !summary_) summary_ = analyzer_.Finish();
  PendingDurability pending;
  Status s = store_->FinishCommit(meta_, summary_ ? &*summary_ : nullptr, &pending);
  if (!s.ok()) return s;
  // The client may hear "accepted" now: the verdict is durable, the files are
  // in place, and the writer makes them durable (or Recover() does, after a crash).
  store_->writer_->Submit(std::move(pending));
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
  if (meta_file_) meta_file_->Close();
  Env* env = store_->env_;
  Status s = env->RemoveFile(store_->SpoolPath(meta_.spool_name, ".eml.part"));
  Status m = env->RemoveFile(store_->SpoolPath(meta_.spool_name, ".meta"));
  std::string line = "message " + meta_.id + " aborted after " + std::to_string(size_) + " bytes: " + reason;
  if (!s.ok()) line += "; " + s.message();
  if (!m.ok()) line += "; " + m.message();
  store_->Log(LogKind::kSystem, line);
  state_ = State::kDone;
}

}  // namespace mailtee::archive
