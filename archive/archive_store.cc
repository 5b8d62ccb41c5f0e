#include "archive/archive_store.h"

#include <functional>
#include <optional>

#include "archive/archive_id.h"
#include "archive/dedupe_index.h"
#include "archive/group_sync.h"
#include "archive/index_sink.h"
#include "archive/local_time.h"
#include "archive/report.h"
#include "archive/retrieval_journal.h"
#include "archive/spool_slots.h"
#include "archive/store_capture.h"
#include "archive/store_report.h"
#include "archive/user_folder.h"

namespace mailtee::archive {
namespace {
constexpr int kDirPerms = 0700;
// Commits whose files wait for the background writer. Past this, Commit
// blocks (on its worker thread) until the writer catches up.
constexpr size_t kMaxPendingCommits = 1024;
constexpr size_t kMaxBatch = 256;
// See StoreWriter: a few ms turn a trickle of single-message batches (one
// POP3 session) into batches of several, each paying its syncs once.
constexpr std::chrono::milliseconds kWriterLinger(5);

// One syncfs covers the spool and the archive only when both are on the
// storage folder's file system (a disk mounted on archive/ needs its own).
// Otherwise, or where the Env has no syncfs, *why says so and the store
// fsyncs file by file.
std::unique_ptr<GroupSync> OpenGroupSync(Env* env, const std::string& storage_dir, std::string* why) {
  FileInfo root;
  Status s = env->Stat(storage_dir, &root);
  for (const char* sub : {"/spool", "/archive"}) {
    FileInfo info;
    if (s.ok()) s = env->Stat(storage_dir + sub, &info);
    if (s.ok() && info.device != root.device) {
      *why = storage_dir + sub + " is on another file system than " + storage_dir;
      return nullptr;
    }
  }
  std::unique_ptr<FileSystemSync> sync;
  if (s.ok()) s = env->OpenFileSystemSync(storage_dir, &sync);
  if (!s.ok()) {
    *why = s.message();
    return nullptr;
  }
  return std::make_unique<GroupSync>(std::move(sync));
}

void AddUnique(std::vector<std::string>* list, const std::string& item) {
  for (const auto& existing : *list)
    if (existing == item) return;
  list->push_back(item);
}
}  // namespace

Status AnalyzeStoredMessage(Env* env, const std::string& path, MessageSummary* summary) {
  std::unique_ptr<SequentialFile> file;
  Status s = env->NewSequentialFile(path, &file);
  if (!s.ok()) return s;
  MessageAnalyzer analyzer;
  std::string chunk;
  for (;;) {
    s = file->Read(256 * 1024, &chunk);
    if (!s.ok()) return s;
    if (chunk.empty()) break;
    analyzer.Feed(chunk);
  }
  *summary = analyzer.Finish();
  return Status::Ok();
}

Status ArchiveStore::Open(const std::string& storage_dir, Env* env, LogBook* log,
                          std::unique_ptr<ArchiveStore>* out) {
  for (const char* sub : {"", "/spool", "/archive", "/index"}) {
    Status s = CreateDirsDurably(env, storage_dir + sub, kDirPerms);
    if (!s.ok()) return s.WithContext("while creating the storage folders");
  }
  std::unique_ptr<DedupeIndex> index;
  Status s = DedupeIndex::Open(storage_dir + "/index/state", &index);
  if (!s.ok()) return s;
  out->reset(new ArchiveStore(storage_dir, env, log, std::move(index)));
  std::string why;
  (*out)->group_sync_ = OpenGroupSync(env, storage_dir, &why);
  if (!(*out)->group_sync_)
    (*out)->Log(LogKind::kSystem, "archive writes are made durable file by file (slower): " + why);
  return Status::Ok();
}

ArchiveStore::ArchiveStore(std::string storage_dir, Env* env, LogBook* log, std::unique_ptr<DedupeIndex> index)
    : storage_dir_(std::move(storage_dir)), env_(env), log_(log), index_(std::move(index)) {
  writer_ = std::make_unique<StoreWriter>([this](std::vector<PendingDurability>* batch) { MakeDurable(batch); },
                                          kMaxPendingCommits, kMaxBatch, kWriterLinger);
}

ArchiveStore::~ArchiveStore() {
  writer_.reset();
  slots_.reset();
}

void ArchiveStore::PreopenSpoolFiles(size_t count) {
  if (slots_ || count == 0) return;
  slots_ = std::make_unique<SpoolSlotPool>(env_, storage_dir_ + "/spool", count, kFilePerms);
  slots_->Start();
}

void ArchiveStore::Flush() { writer_->Flush(); }

std::string ArchiveStore::SpoolPath(const std::string& id, const char* suffix) const {
  return storage_dir_ + "/spool/" + id + suffix;
}

void ArchiveStore::Log(LogKind kind, const std::string& line) {
  if (log_ != nullptr) log_->Write(kind, line);
}

Status ArchiveStore::WriteMetaAtomically(const SpoolMeta& meta) {
  const std::string& stem = meta.spool_name.empty() ? meta.id : meta.spool_name;
  Status s = WriteFileAtomically(env_, SpoolPath(stem, ".meta"), SerializeSpoolMeta(meta),
                                 SpoolPath(stem, ".meta.tmp"), kFilePerms);
  return s.WithContext(std::string("while recording phase ") + SpoolPhaseName(meta.phase) + " of message " + meta.id);
}

Status ArchiveStore::Begin(const MessageContext& context, std::unique_ptr<Capture>* capture) {
  SpoolMeta meta;
  meta.context = context;
  if (meta.context.received_at.time_since_epoch().count() == 0)
    meta.context.received_at = std::chrono::system_clock::now();
  meta.archive_dir = "archive/" + UserFolderName(ArchiveUser(meta.context)) + "/" +
                     LocalDayPath(meta.context.received_at);

  // Fast path: a pre-created pair, no file system call on spool/ (spool_slots.h).
  SpoolSlotPool::Slot slot;
  if (slots_ && slots_->Take(&slot)) {
    meta.id = NewArchiveId(meta.context.received_at);
    meta.spool_name = slot.name;
    Status s = slot.meta->Append(SerializeSpoolMeta(meta));
    if (!s.ok()) {
      slot.part.reset();
      slot.meta.reset();
      env_->RemoveFile(SpoolPath(slot.name, ".meta"));
      env_->RemoveFile(SpoolPath(slot.name, ".eml.part"));
      return s.WithContext("while recording phase receiving of message " + meta.id);
    }
    capture->reset(new StoreCapture(this, std::move(meta), std::move(slot.part), std::move(slot.meta),
                                    /*entries_durable=*/true));
    return Status::Ok();
  }

  std::unique_ptr<WritableFile> spool;
  Status s;
  for (int attempt = 0; attempt < 5; ++attempt) {
    meta.id = NewArchiveId(meta.context.received_at);
    s = env_->NewWritableFile(SpoolPath(meta.id, ".eml.part"), Env::CreateMode::kExclusive, kFilePerms, &spool);
    // O_EXCL failing on an existing file is a (vanishingly rare) id collision: draw again.
    if (s.ok() || !FileExists(env_, SpoolPath(meta.id, ".eml.part"))) break;
  }
  if (!s.ok()) return s.WithContext("while starting to spool a message");
  meta.spool_name = meta.id;

  // The meta journal's first block, not fsynced: until SealForRelay nothing
  // depends on this file surviving a crash (recovery drops unsealed
  // messages), and Begin runs on the loop thread. Later phases are appended
  // to the same open file (spool_meta.h).
  std::unique_ptr<WritableFile> meta_file;
  s = env_->NewWritableFile(SpoolPath(meta.id, ".meta"), Env::CreateMode::kExclusive, kFilePerms, &meta_file);
  if (s.ok()) s = meta_file->Append(SerializeSpoolMeta(meta));
  if (!s.ok()) {
    spool.reset();
    meta_file.reset();
    env_->RemoveFile(SpoolPath(meta.id, ".meta"));
    env_->RemoveFile(SpoolPath(meta.id, ".eml.part"));
    return s.WithContext("while recording phase receiving of message " + meta.id);
  }
  capture->reset(new StoreCapture(this, std::move(meta), std::move(spool), std::move(meta_file),
                                  /*entries_durable=*/false));
  return Status::Ok();
}

void ArchiveStore::NotifyIndexingSink(const Report& report, const std::string& rel_eml, const std::string& rel_report) {
  if (indexing_sink_ == nullptr) return;
  Status s = indexing_sink_->IndexCommitted(report, rel_eml, rel_report);
  if (!s.ok()) Log(LogKind::kSystem, "message " + report.id + " is archived but not indexed: " + s.message());
}

std::mutex& ArchiveStore::DedupeLock(const std::string& key) {
  return dedupe_locks_[std::hash<std::string>()(key) % dedupe_locks_.size()];
}

Status ArchiveStore::RemoveSpool(const std::string& stem) {
  Status s = env_->RemoveFile(SpoolPath(stem, ".meta"));
  if (s.ok()) s = env_->SyncDir(storage_dir_ + "/spool");
  if (s.ok()) s = env_->RemoveFile(SpoolPath(stem, ".eml.part"));
  return s;
}

Status ArchiveStore::FinishCommit(const SpoolMeta& meta, const MessageSummary* summary_in,
                                  PendingDurability* pending) {
  const std::string spool_dir = storage_dir_ + "/spool";
  const std::string part = SpoolPath(meta.spool_name, ".eml.part");
  const std::string day_dir = Abs(meta.archive_dir);
  const std::string eml = day_dir + "/" + meta.id + ".eml";
  const std::string xml_rel = meta.archive_dir + "/" + meta.id + ".xml";
  const std::string xml = Abs(xml_rel);
  const bool received = meta.context.direction == Direction::kReceived;
  const std::string context = "while archiving message " + meta.id;
  if (pending != nullptr) {
    *pending = PendingDurability();
    pending->id = meta.id;
    pending->spool_name = meta.spool_name;
  }

  // The summary is read from the bytes only when a step needs it.
  std::optional<MessageSummary> summary;
  if (summary_in != nullptr) summary = *summary_in;
  auto need_summary = [&]() -> Status {
    if (summary) return Status::Ok();
    summary.emplace();
    std::string source = FileExists(env_, part) ? part : eml;
    if (!FileExists(env_, source)) {
      Log(LogKind::kSystem, "message " + meta.id + ": spooled bytes are missing; recording the report without them");
      return Status::Ok();
    }
    return AnalyzeStoredMessage(env_, source, &*summary);
  };
  // Folder entries created or renamed: fsynced now, or by the writer.
  auto sync_dir = [&](const std::string& dir) -> Status {
    if (pending == nullptr) return env_->SyncDir(dir);
    AddUnique(&pending->dirs, dir);
    return Status::Ok();
  };
  std::optional<Report> report;  // what the report file says
  auto write_report = [&]() -> Status {
    if (FileExists(env_, xml)) {  // written by an interrupted earlier attempt
      std::string text;
      Report parsed;
      Status s = ReadWholeFile(env_, xml, kMaxReportBytes, &text);
      if (s.ok()) s = ParseReportXml(text, &parsed);
      if (s.ok()) {
        // Keep it (a retrieval may have been added since), but it may never
        // have been fsynced: make sure before the meta goes.
        report = std::move(parsed);
        if (pending != nullptr) {
          AddUnique(&pending->files, xml);
          return sync_dir(day_dir);
        }
        s = env_->SyncFiles({xml});
        return s.ok() ? env_->SyncDir(day_dir) : s;
      }
      // Cut short by a crash before its fsync: the meta is still here, so it
      // was never acknowledged as durable. Written again below.
      Log(LogKind::kSystem, "message " + meta.id + ": rewriting its damaged report (" + s.message() + ")");
    }
    Status s = need_summary();
    if (!s.ok()) return s;
    report = BuildStoreReport(meta, *summary);
    const std::string temp = SpoolPath(meta.id, ".xml.tmp");
    if (pending == nullptr) return WriteFileAtomically(env_, xml, RenderReportXml(*report), temp, kFilePerms);
    s = WriteFileReplacing(env_, xml, RenderReportXml(*report), temp, kFilePerms);
    if (!s.ok()) return s;
    AddUnique(&pending->files, xml);
    AddUnique(&pending->dirs, spool_dir);  // the temp's entry
    return sync_dir(day_dir);
  };
  auto notify = [&](const std::string& rel_eml) {
    if (!report) return;
    if (pending != nullptr) pending->notice = IndexingSink::Notice{*report, rel_eml, xml_rel};
    else NotifyIndexingSink(*report, rel_eml, xml_rel);
  };
  // Last step: the meta goes only once everything above is durable.
  auto finish = [&]() -> Status { return pending != nullptr ? Status::Ok() : RemoveSpool(meta.spool_name); };

  Status s = CreateDirsDurably(env_, day_dir, kDirPerms);
  if (!s.ok()) return s.WithContext(context);

  if (meta.phase == SpoolPhase::kRefused) {
    s = write_report();
    if (s.ok()) notify("");
    if (s.ok()) s = finish();
    return s.WithContext(context);
  }

  const std::string user_folder = UserFolderName(ArchiveUser(meta.context));
  std::unique_lock<std::mutex> dedupe_lock;
  if (received && !FileExists(env_, eml)) {
    s = need_summary();
    if (!s.ok()) return s.WithContext(context);
    if (!summary->sha256_hex.empty()) {
      dedupe_lock = std::unique_lock<std::mutex>(DedupeLock(user_folder + "/" + summary->sha256_hex));
      bool done = false;
      s = AddRetrievalToExisting(meta, user_folder, *summary, &done, pending);
      if (!s.ok() || done) return s;
    }
  }

  if (FileExists(env_, part)) {
    // The spool was fsynced before the verdict: only the entries need a folder fsync.
    s = env_->RenameFile(part, eml);
    if (!s.ok()) return s.WithContext(context);
    if (pending != nullptr) AddUnique(&pending->dirs, spool_dir);
  }
  if (pending != nullptr) pending->part_gone = true;  // renamed now or by an earlier attempt
  // Also when an earlier attempt renamed it: that rename may not be durable yet.
  s = sync_dir(day_dir);
  if (s.ok()) s = write_report();
  if (s.ok() && received) s = need_summary();
  if (s.ok() && received && !summary->sha256_hex.empty()) {
    // Visible to the next Lookup at once (the dedupe lock is still held);
    // durable by the writer's one sync per batch.
    s = index_->Remember(user_folder, summary->sha256_hex, xml_rel, /*sync=*/pending == nullptr);
    if (pending != nullptr) pending->dedupe = true;
  }
  // Before the meta goes: a crash in between re-notifies (an "update"), never skips.
  if (s.ok()) notify(meta.archive_dir + "/" + meta.id + ".eml");
  if (s.ok()) s = finish();
  return s.WithContext(context);
}

void ArchiveStore::MakeDurable(std::vector<PendingDurability>* batch) {
  std::vector<std::string> files, dirs, folds;
  bool dedupe = false;
  for (const auto& job : *batch) {
    for (const auto& f : job.files) AddUnique(&files, f);
    for (const auto& d : job.dirs) AddUnique(&dirs, d);
    for (const auto& r : job.folds) AddUnique(&folds, r);
    dedupe |= job.dedupe;
  }
  // A report may count only journal records the sync below makes durable:
  // those written before it starts (a later fetch's record waits for its own batch).
  std::vector<uint64_t> fold_limits;
  for (const auto& report : folds) {
    FileInfo info;
    fold_limits.push_back(env_->Stat(RetrievalJournalPath(report), &info).ok() ? info.size : 0);
  }
  Status s;
  if (group_sync_) {
    s = group_sync_->Sync();  // the reports, the renamed .eml files and their folders at once
  } else {
    s = env_->SyncFiles(files);
    for (const auto& dir : dirs)
      if (s.ok()) s = env_->SyncDir(dir);
  }
  if (s.ok() && dedupe) s = index_->Sync();
  // Before the notices: the ledger hashes the report with the batch's retrievals in it.
  if (s.ok() && !folds.empty()) s = FoldBatchRetrievals(folds, fold_limits);
  if (!s.ok()) {
    Log(LogKind::kSystem, std::to_string(batch->size()) + " archived message(s), first " + batch->front().id +
                              ", could not be made durable: " + s.message() +
                              "; their spool records are kept and finished at the next start");
    return;
  }
  if (indexing_sink_ != nullptr) {
    std::vector<IndexingSink::Notice> notices;
    for (auto& job : *batch)
      if (job.notice) notices.push_back(std::move(*job.notice));
    // Its own Status: an indexing failure never holds back the spool cleanup (reindex repairs the index).
    Status indexed = indexing_sink_->IndexCommittedMany(notices);
    if (!indexed.ok()) Log(LogKind::kSystem, "archived messages are not all indexed: " + indexed.message());
  }
  // Metas first (durably), then the parts (refused and duplicate fetches):
  // once a meta is gone or empty its .part is a plain orphan. A pre-created
  // slot's meta is emptied in place and reused rather than unlinked, so no
  // inode is freed per message (spool_slots.h); others are removed.
  std::vector<std::string> removed, emptied, emptied_stems, parts;
  std::vector<std::unique_ptr<WritableFile>> emptied_files;
  for (const auto& job : *batch) {
    const std::string meta = SpoolPath(job.spool_name, ".meta");
    // Refused and duplicate fetches only: removing a renamed part would be a
    // no-op unlink and wake the I/O helper threads for nothing.
    if (!job.part_gone) parts.push_back(SpoolPath(job.spool_name, ".eml.part"));
    std::unique_ptr<WritableFile> file;
    if (slots_ && IsSpoolSlotName(job.spool_name) &&
        env_->NewWritableFile(meta, Env::CreateMode::kTruncate, kFilePerms, &file).ok()) {
      emptied.push_back(meta);
      emptied_stems.push_back(job.spool_name);
      emptied_files.push_back(std::move(file));
    } else {
      removed.push_back(meta);
    }
  }
  if (group_sync_) {
    // The truncations (a stale verdict must not come back into a reused
    // slot) and the removals, in one sync.
    if (!removed.empty()) s = env_->RemoveFiles(removed);
    if (s.ok()) s = group_sync_->Sync();
  } else {
    s = env_->SyncFiles(emptied);  // the truncations: a stale verdict must not come back into a reused slot
    if (s.ok() && !removed.empty()) s = env_->RemoveFiles(removed);
    if (s.ok() && !removed.empty()) s = env_->SyncDir(storage_dir_ + "/spool");
  }
  if (!s.ok()) {
    Log(LogKind::kSystem, "archived messages' spool records may stay or come back (finished again at the next start): " +
                              s.message());
    return;
  }
  if (!parts.empty()) env_->RemoveFiles(parts);  // best effort: a leftover is an orphan that Recover() removes
  for (size_t i = 0; i < emptied_files.size(); ++i) slots_->Recycle(emptied_stems[i], std::move(emptied_files[i]));
}

}  // namespace mailtee::archive
