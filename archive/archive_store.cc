#include "archive/archive_store.h"

#include <functional>
#include <optional>

#include "archive/archive_id.h"
#include "archive/dedupe_index.h"
#include "archive/index_sink.h"
#include "archive/local_time.h"
#include "archive/report.h"
#include "archive/store_capture.h"
#include "archive/store_report.h"
#include "archive/user_folder.h"

namespace mailtee::archive {
namespace {
constexpr int kDirPerms = 0700;
constexpr int kFilePerms = 0600;
constexpr size_t kMaxReportBytes = 64 << 20;  // reports list every attachment; still far below this
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
  return Status::Ok();
}

ArchiveStore::ArchiveStore(std::string storage_dir, Env* env, LogBook* log, std::unique_ptr<DedupeIndex> index)
    : storage_dir_(std::move(storage_dir)), env_(env), log_(log), index_(std::move(index)) {}

ArchiveStore::~ArchiveStore() = default;

std::string ArchiveStore::SpoolPath(const std::string& id, const char* suffix) const {
  return storage_dir_ + "/spool/" + id + suffix;
}

void ArchiveStore::Log(LogKind kind, const std::string& line) {
  if (log_ != nullptr) log_->Write(kind, line);
}

Status ArchiveStore::WriteMeta(const SpoolMeta& meta, bool durable) {
  std::string text = SerializeSpoolMeta(meta);
  std::string path = SpoolPath(meta.id, ".meta"), temp = SpoolPath(meta.id, ".meta.tmp");
  Status s = durable ? WriteFileAtomically(env_, path, text, temp, kFilePerms)
                     : WriteFileReplacing(env_, path, text, temp, kFilePerms);
  return s.WithContext(std::string("while recording phase ") + SpoolPhaseName(meta.phase) + " of message " + meta.id);
}

Status ArchiveStore::Begin(const MessageContext& context, std::unique_ptr<Capture>* capture) {
  SpoolMeta meta;
  meta.context = context;
  if (meta.context.received_at.time_since_epoch().count() == 0)
    meta.context.received_at = std::chrono::system_clock::now();
  meta.archive_dir = "archive/" + UserFolderName(ArchiveUser(meta.context)) + "/" +
                     LocalDayPath(meta.context.received_at);

  std::unique_ptr<WritableFile> spool;
  Status s;
  for (int attempt = 0; attempt < 5; ++attempt) {
    meta.id = NewArchiveId(meta.context.received_at);
    s = env_->NewWritableFile(SpoolPath(meta.id, ".eml.part"), Env::CreateMode::kExclusive, kFilePerms, &spool);
    // O_EXCL failing on an existing file is a (vanishingly rare) id collision: draw again.
    if (s.ok() || !FileExists(env_, SpoolPath(meta.id, ".eml.part"))) break;
  }
  if (!s.ok()) return s.WithContext("while starting to spool a message");

  // Not fsynced: until SealForRelay nothing depends on this file surviving a
  // crash (recovery drops unsealed messages), and Begin runs on the loop thread.
  s = WriteMeta(meta, /*durable=*/false);
  if (!s.ok()) {
    spool.reset();
    env_->RemoveFile(SpoolPath(meta.id, ".eml.part"));
    return s;
  }
  capture->reset(new StoreCapture(this, std::move(meta), std::move(spool)));
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

Status ArchiveStore::AddRetrievalToExisting(const SpoolMeta& meta, const std::string& user_folder,
                                            const MessageSummary& summary, bool* done) {
  *done = false;
  std::string existing;
  Status s = index_->Lookup(user_folder, summary.sha256_hex, &existing);
  if (!s.ok() || existing.empty()) return s;
  if (existing == meta.archive_dir + "/" + meta.id + ".xml") return Status::Ok();  // ourselves
  const std::string path = Abs(existing);
  if (!FileExists(env_, path)) return Status::Ok();  // stale index entry: store as new

  std::string xml;
  s = ReadWholeFile(env_, path, kMaxReportBytes, &xml);
  Report report;
  if (s.ok()) s = ParseReportXml(xml, &report);
  if (!s.ok()) return s.WithContext("while adding a retrieval of message " + meta.id + " to " + existing);

  Retrieval retrieval = RetrievalOf(meta.context);
  bool already = false;  // recovery may repeat this step
  for (const auto& r : report.retrievals) already |= r.at == retrieval.at && r.client_ip == retrieval.client_ip;
  if (!already) {
    report.retrievals.push_back(retrieval);
    s = WriteFileAtomically(env_, path, RenderReportXml(report), SpoolPath(meta.id, ".dedupe.tmp"), kFilePerms);
    if (!s.ok()) return s.WithContext("while adding a retrieval of message " + meta.id + " to " + existing);
  }
  // Also when recovery finds the retrieval already written: the crash may have
  // come before the index heard of it (a repeated notice is a no-op).
  NotifyIndexingSink(report, existing.substr(0, existing.size() - 4) + ".eml", existing);  // ".xml" -> ".eml"
  // Meta first: once it is gone a leftover .part is a plain orphan, never a
  // "verdict recorded but bytes lost" message.
  s = env_->RemoveFile(SpoolPath(meta.id, ".meta"));
  if (s.ok()) s = env_->SyncDir(storage_dir_ + "/spool");
  if (s.ok()) s = env_->RemoveFile(SpoolPath(meta.id, ".eml.part"));
  if (!s.ok()) return s;
  *done = true;
  return Status::Ok();
}

Status ArchiveStore::FinishCommit(const SpoolMeta& meta, const MessageSummary* summary_in) {
  const std::string part = SpoolPath(meta.id, ".eml.part");
  const std::string day_dir = Abs(meta.archive_dir);
  const std::string eml = day_dir + "/" + meta.id + ".eml";
  const std::string xml_rel = meta.archive_dir + "/" + meta.id + ".xml";
  const std::string xml = Abs(xml_rel);
  const bool received = meta.context.direction == Direction::kReceived;
  const std::string context = "while archiving message " + meta.id;

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
  std::optional<Report> report;  // what the report file says, once it is durable
  auto write_report = [&]() -> Status {
    if (FileExists(env_, xml)) {  // written by an interrupted earlier run: keep it
      std::string text;
      Status s = ReadWholeFile(env_, xml, kMaxReportBytes, &text);
      report.emplace();
      if (s.ok()) s = ParseReportXml(text, &*report);
      if (!s.ok()) report.reset();  // still archived; only the index notice is skipped
      return Status::Ok();
    }
    Status s = need_summary();
    if (!s.ok()) return s;
    report = BuildStoreReport(meta, *summary);
    return WriteFileAtomically(env_, xml, RenderReportXml(*report), SpoolPath(meta.id, ".xml.tmp"), kFilePerms);
  };

  Status s = CreateDirsDurably(env_, day_dir, kDirPerms);
  if (!s.ok()) return s.WithContext(context);

  if (meta.phase == SpoolPhase::kRefused) {
    s = write_report();
    if (s.ok() && report) NotifyIndexingSink(*report, "", xml_rel);
    if (s.ok()) s = env_->RemoveFile(SpoolPath(meta.id, ".meta"));
    if (s.ok()) s = env_->SyncDir(storage_dir_ + "/spool");
    if (s.ok()) s = env_->RemoveFile(part);
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
      s = AddRetrievalToExisting(meta, user_folder, *summary, &done);
      if (!s.ok() || done) return s;
    }
  }

  if (FileExists(env_, part)) {
    s = env_->RenameFile(part, eml);
    if (s.ok()) s = env_->SyncDir(day_dir);
    if (!s.ok()) return s.WithContext(context);
  }
  s = write_report();  // also fsyncs the spool folder (its temp lives there)
  if (s.ok() && received) s = need_summary();
  if (s.ok() && received && !summary->sha256_hex.empty())
    s = index_->Remember(user_folder, summary->sha256_hex, xml_rel);
  // Before the meta goes: a crash in between re-notifies (an "update"), never skips.
  if (s.ok() && report) NotifyIndexingSink(*report, meta.archive_dir + "/" + meta.id + ".eml", xml_rel);
  if (s.ok()) s = env_->RemoveFile(SpoolPath(meta.id, ".meta"));
  return s.WithContext(context);
}

}  // namespace mailtee::archive
