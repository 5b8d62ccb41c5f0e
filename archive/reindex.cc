#include "archive/reindex.h"

#include <leveldb/db.h>
#include <leveldb/options.h>

#include <chrono>

#include "archive/env.h"
#include "archive/index_db.h"
#include "archive/index_sink.h"
#include "archive/index_walk.h"
#include "archive/ledger.h"
#include "archive/ledger_hash.h"
#include "archive/report.h"

namespace mailtee::archive {
namespace {

constexpr size_t kMaxReportBytes = 64 << 20;

Status DestroyIndexDir(const std::string& dir) {
  leveldb::Status s = leveldb::DestroyDB(dir, leveldb::Options());
  return s.ok() ? Status::Ok() : Status::Error(s.ToString() + " while removing " + dir);
}

}  // namespace

Status Reindex(const std::string& storage_dir, const std::function<void(const ReindexProgress&)>& progress,
               ReindexStats* stats) {
  *stats = ReindexStats();
  const auto start = std::chrono::steady_clock::now();
  const std::string live = SearchIndexDir(storage_dir);
  const std::string fresh = live + ".new", old = live + ".old";
  Env* env = Env::Default();
  Status s = CreateDirsDurably(env, storage_dir + "/index", 0700);
  if (!s.ok()) return s;
  {
    // Fails with a lock error while the daemon has the live index open.
    std::unique_ptr<ArchiveIndex> probe;
    s = ArchiveIndex::Open(live, {}, &probe);
    if (!s.ok()) return s;
  }
  s = DestroyIndexDir(fresh);
  if (!s.ok()) return s;

  std::unique_ptr<ArchiveIndex> index;
  s = ArchiveIndex::Open(fresh, {}, &index);
  if (!s.ok()) return s;
  auto last_progress = start;
  WalkCallbacks cb;
  cb.message = [&](const ArchivedFiles& f) -> Status {
    if (!f.has_xml) return Status::Ok();
    std::string xml;
    Status rs = ReadWholeFile(env, storage_dir + "/" + f.xml_path(), kMaxReportBytes, &xml);
    if (!rs.ok()) return rs;
    Report report;
    rs = ParseReportXml(xml, &report);
    if (!rs.ok()) {
      stats->skipped.push_back(f.xml_path() + ": " + rs.message());
      return Status::Ok();
    }
    if (report.id.empty()) report.id = f.id;
    rs = index->AddRecord(RecordFromReport(report, f.has_eml ? f.eml_path() : "", f.xml_path(), Sha256Hex(xml)),
                          false);
    if (!rs.ok()) return rs;
    ++stats->messages;
    auto now = std::chrono::steady_clock::now();
    if (progress && std::chrono::duration<double>(now - last_progress).count() >= 2.0) {
      last_progress = now;
      progress({stats->messages, std::chrono::duration<double>(now - start).count()});
    }
    return Status::Ok();
  };
  s = WalkArchive(storage_dir, cb);
  LedgerScan scan;
  if (s.ok()) s = ScanLedger(LedgerPath(storage_dir), [](const LedgerEntry&) {}, &scan);
  if (s.ok() && !scan.head.empty()) s = index->SetLedgerHead(scan.head);
  if (s.ok()) s = index->Flush();
  index.reset();
  if (!s.ok()) return s.WithContext("while rebuilding the search index (the old index is untouched)");

  // Swap: live -> old, fresh -> live, drop old. A crash between the renames
  // leaves no live index; the next reindex (or start) simply builds one.
  FileInfo info;
  s = env->Stat(live, &info);
  if (s.ok() && info.exists) s = DestroyIndexDir(old);
  if (s.ok() && info.exists) s = env->RenameFile(live, old);
  if (s.ok()) s = env->RenameFile(fresh, live);
  if (s.ok()) s = env->SyncDir(storage_dir + "/index");
  if (s.ok() && info.exists) s = DestroyIndexDir(old);
  stats->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (progress) progress({stats->messages, stats->seconds});
  return s;
}

}  // namespace mailtee::archive
