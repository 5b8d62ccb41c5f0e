// StoreCapture: ArchiveStore's Capture. Internal to archive/.
// A capture destroyed without Commit or Abort leaves its spool files in place,
// exactly as a crash would: Recover() decides their fate at the next start.
#pragma once

#include <memory>
#include <optional>

#include "archive/archive_store.h"

namespace mailtee::archive {

class StoreCapture : public Capture {
 public:
  StoreCapture(ArchiveStore* store, SpoolMeta meta, std::unique_ptr<WritableFile> spool,
               std::unique_ptr<WritableFile> meta_file, bool entries_durable);
  ~StoreCapture() override;

  const std::string& id() const override { return meta_.id; }
  Status Append(std::string_view bytes) override;
  uint64_t size() const override { return size_; }
  Status SealForRelay() override;
  Status Commit(const Outcome& outcome) override;
  void Abort(const std::string& reason) override;

 private:
  enum class State { kReceiving, kSealed, kVerdictRecorded, kDone };

  // Makes next's phase (and verdict) durable: an update block appended to the
  // meta journal and fsynced, or covered by the store's shared syncfs (no
  // rename, no folder fsync). After a failed
  // append the journal's tail is unknown, so from then on the whole meta is
  // rewritten atomically instead.
  Status RecordPhase(const SpoolMeta& next);
  // The store's shared syncfs (group_sync.h), which also makes the spool
  // files' folder entries durable.
  Status SyncFileSystem();
  // Makes the spooled bytes durable: the store's shared syncfs, or an fsync.
  Status SyncSpool();
  // Whether the spool bytes and the next journal record can share one sync
  // (the store's syncfs, and the record appended to the journal it covers);
  // the record then carries the bytes' SHA-256 (SpoolMeta::spooled_sha256).
  bool SharesOneSyncForBytesAndRecord() const;

  ArchiveStore* const store_;
  SpoolMeta meta_;
  std::unique_ptr<WritableFile> spool_;
  std::unique_ptr<WritableFile> meta_file_;  // the journal, open for appends; null once closed
  bool meta_damaged_ = false;
  bool spool_dir_synced_ = false;  // the spool and meta entries are durable
  // Sent mail is analyzed as it streams: its Commit is on the client's path
  // (the 250 waits for it), so the work is spread over the DATA phase. A POP3
  // commit has nobody waiting, while the loop thread is on the path of the
  // next RETR, so received mail is analyzed at Commit, on the worker.
  const bool analyze_while_streaming_;
  MessageAnalyzer analyzer_;
  std::optional<MessageSummary> summary_;  // analyzer_.Finish() runs once
  uint64_t size_ = 0;
  State state_ = State::kReceiving;
  bool spool_synced_ = false;
  bool commit_attempted_ = false;  // the provider gave a verdict, even if recording it failed
  Status append_error_;  // sticky: a message with a hole must never be committed
};

}  // namespace mailtee::archive
