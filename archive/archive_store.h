// ArchiveStore: the durable message store behind MessageSink.
//
//   <storage>/spool/<id>.eml.part   bytes while the message streams (0600); the stem is
//   <storage>/spool/<id>.meta       a pre-created slot's name when PreopenSpoolFiles is on;
//                                   context + phase + verdict, a small journal (spool_meta.h)
//   <storage>/archive/<user>/YYYY/MM/DD/<id>.eml   the message, byte-exact
//   <storage>/archive/<user>/YYYY/MM/DD/<id>.xml   its report (report.h)
//   <storage>/archive/<user>/YYYY/MM/DD/<id>.retrievals   POP3 fetches after the
//                                   first (retrieval_journal.h, store_retrievals.cc)
//   <storage>/index/state           LevelDB: POP3 dedupe (dedupe_index.h)
//
// Call Recover() once at start-up, before any listener opens: it finishes or
// drops what a crash left in the spool (rules in docs/archive.md). Begin runs
// on the loop thread; captures of different messages may Seal/Commit
// concurrently on worker threads. The store must outlive its captures.
//
// When Commit returns, the verdict is durable and the .eml and report are in
// place (readable), but their fsyncs, the dedupe sync and the ledger/index
// notice are finished by a background writer in batches (store_writer.h);
// the spool meta stays until then, so a crash in between is finished by
// Recover(). Flush() waits for that writer; the destructor drains it.
#pragma once

#include <array>
#include <memory>
#include <mutex>
#include <string>

#include "archive/env.h"
#include "archive/log_book.h"
#include "archive/message_sink.h"
#include "archive/message_summary.h"
#include "archive/report.h"
#include "archive/spool_meta.h"
#include "archive/store_writer.h"

namespace mailtee::archive {

class DedupeIndex;
class GroupSync;
class IndexingSink;
class SpoolSlotPool;

struct RecoveryStats {
  int dropped_unsealed = 0;   // phase "receiving" (or torn meta): deleted, client never heard 250
  int archived_unknown = 0;   // phase "sealed": archived with outcome "unknown"
  int finished_commits = 0;   // verdict recorded: the interrupted commit was completed
  int orphans_removed = 0;    // .eml.part without a meta
  int temps_removed = 0;      // stale *.tmp from interrupted atomic writes
  int unused_slots_removed = 0;  // pre-created spool pairs never used (empty meta)
  int failed = 0;             // could not be recovered now (left in place for the next start)
};

// The reply recorded for messages whose verdict was lost in a crash.
inline constexpr const char* kUnknownOutcomeReply = "mailtee stopped before the provider's reply was recorded";

class ArchiveStore : public MessageSink {
 public:
  // Creates storage_dir/{spool,archive,index} (0700) and opens the index.
  // env and log (log may be null) must outlive the store.
  static Status Open(const std::string& storage_dir, Env* env, LogBook* log,
                     std::unique_ptr<ArchiveStore>* out);
  ~ArchiveStore() override;

  Status Recover(RecoveryStats* stats);
  // Keeps count spool file pairs created ahead of need by a background thread,
  // so Begin makes no file system call on spool/ (spool_slots.h). Call after
  // Recover() (which removes unused pairs), before the listeners open. Without
  // it (tests stepping through every file operation), Begin creates its files.
  void PreopenSpoolFiles(size_t count);
  Status Begin(const MessageContext& context, std::unique_ptr<Capture>* capture) override;

  const std::string& storage_dir() const { return storage_dir_; }
  // True when its syncs are one shared syncfs (group_sync.h), not fsyncs per file.
  bool syncs_file_system() const { return group_sync_ != nullptr; }

  // Returns once every Commit that returned before the call is durable on
  // disk, its spool meta removed and the indexing sink told. Thread-safe.
  void Flush();

  // Optional: told about every message once its files are durable (and again
  // when a POP3 retrieval rewrites a report), for the ledger and search index.
  // Its failures are logged, never fail a commit (reindex repairs the index).
  // Set before Recover(); sink must outlive the store.
  void SetIndexingSink(IndexingSink* sink) { indexing_sink_ = sink; }

 private:
  friend class StoreCapture;
  static constexpr int kFilePerms = 0600;
  static constexpr size_t kMaxReportBytes = 64 << 20;  // reports list every attachment; still far below this
  ArchiveStore(std::string storage_dir, Env* env, LogBook* log, std::unique_ptr<DedupeIndex> index);

  std::string SpoolPath(const std::string& id, const char* suffix) const;
  std::string Abs(const std::string& relative) const { return storage_dir_ + "/" + relative; }
  // Rewrites the whole meta atomically (temp, fsync, rename, folder fsync):
  // recovery, and a capture whose in-place journal append failed.
  Status WriteMetaAtomically(const SpoolMeta& meta);
  void Log(LogKind kind, const std::string& line);

  // Moves a message whose verdict is recorded in its meta into the archive.
  // Idempotent: works from whatever state an interrupted earlier run left on
  // disk. summary: the analyzer's result, or null to re-read the message bytes.
  // pending null: every step is made durable before it returns (recovery).
  // Otherwise the files are put in place and what is still owed to the disk
  // is collected in *pending for the writer (MakeDurable).
  Status FinishCommit(const SpoolMeta& meta, const MessageSummary* summary, PendingDurability* pending);
  // POP3: the user already has these bytes; append the retrieval to that
  // report's retrieval journal (store_retrievals.cc). Deferred: the writer
  // syncs it and folds it into the report; recovery (pending null) does both
  // at once. *done false when there is no usable earlier copy.
  Status AddRetrievalToExisting(const SpoolMeta& meta, const std::string& user_folder,
                                const MessageSummary& summary, bool* done, PendingDurability* pending);
  // Folds the journal's records before limit into the report at path (abs).
  // durable: an atomic, fsynced rewrite; otherwise written in place (temp,
  // rename) for the caller's sync. *folded: the report as it is now;
  // *changed: it was rewritten.
  Status FoldRetrievals(const std::string& report_path, uint64_t limit, bool durable, Report* folded, bool* changed);
  // The writer's step after its first sync: folds what that sync made
  // durable of each journal (limits: their sizes before it) and syncs the
  // rewritten reports. A report that cannot be folded is logged and left:
  // its records are durable in the journal and the next fold takes them.
  Status FoldBatchRetrievals(const std::vector<std::string>& reports, const std::vector<uint64_t>& limits);
  // The writer's batch: fsync reports, folders, dedupe; tell the indexing
  // sink; then remove the spool metas. On failure the metas stay for Recover().
  void MakeDurable(std::vector<PendingDurability>* batch);
  // Removes spool/<stem>.meta, then (after a spool fsync) the .eml.part if any.
  Status RemoveSpool(const std::string& stem);
  Status RecoverOne(const std::string& stem, RecoveryStats* stats);
  std::mutex& DedupeLock(const std::string& key);
  void NotifyIndexingSink(const Report& report, const std::string& rel_eml, const std::string& rel_report);

  const std::string storage_dir_;
  Env* const env_;
  LogBook* const log_;
  std::unique_ptr<DedupeIndex> index_;
  IndexingSink* indexing_sink_ = nullptr;
  // Serialises lookup-then-store of one (user, sha256) so two concurrent
  // fetches of the same message still keep a single copy.
  std::array<std::mutex, 16> dedupe_locks_;
  std::unique_ptr<SpoolSlotPool> slots_;  // null unless PreopenSpoolFiles
  // Shared syncfs for captures and the writer (group_sync.h); null when the
  // spool and archive are not on one file system: then fsyncs per file.
  std::unique_ptr<GroupSync> group_sync_;
  // Last member: destroyed (drained) first, while everything it uses exists.
  std::unique_ptr<StoreWriter> writer_;
};

// Runs the MessageAnalyzer over a stored file in bounded chunks.
Status AnalyzeStoredMessage(Env* env, const std::string& path, MessageSummary* summary);

}  // namespace mailtee::archive
