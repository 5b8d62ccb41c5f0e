// ArchiveStore: a POP3 message fetched again by the same user. The bytes are
// kept once; the fetch is appended to the first copy's retrieval journal
// (retrieval_journal.h) and folded into its report later, in batches:
//
//   Commit (worker)   lookup (user, sha256) -> the first copy's report;
//                     append one record to <id>.retrievals (no fsync: the
//                     spool meta with the verdict is durable and stays until
//                     the writer is done, so a crash re-runs this step)
//   writer batch      sync (the journal with everything else), fold every
//                     journal record that sync covered into its report
//                     (one rewrite per report per batch), sync again, tell
//                     the ledger/index, remove the metas
//   Recover           the same, durably, once per meta; a record already in
//                     the journal (by its fetch id) is not appended again
//
// So a fetch writes one ~110-byte record plus a share of one bounded report
// rewrite, however often the message was fetched before (docs/archive.md).
#include <algorithm>

#include "archive/archive_store.h"
#include "archive/dedupe_index.h"
#include "archive/group_sync.h"
#include "archive/retrieval_journal.h"
#include "archive/store_report.h"

namespace mailtee::archive {
namespace {

void AddOnce(std::vector<std::string>* list, const std::string& item) {
  if (std::find(list->begin(), list->end(), item) == list->end()) list->push_back(item);
}

// Recovery may repeat the append: has this fetch been recorded already?
Status AlreadyRecorded(Env* env, const std::string& journal, const Report& report, const Retrieval& fetch,
                       bool* already) {
  *already = false;
  // Reports written before fetches had ids listed them by time and address only.
  for (const Retrieval& r : report.retrievals)
    *already |= r.id.empty() && r.at == fetch.at && r.client_ip == fetch.client_ip;
  std::vector<RetrievalRecord> records;
  uint64_t end = 0;
  Status s = ReadRetrievalRecords(env, journal, 0, kWholeJournal, &records, &end);
  for (const RetrievalRecord& r : records) *already |= r.retrieval.id == fetch.id;
  return s;
}

}  // namespace

Status ArchiveStore::AddRetrievalToExisting(const SpoolMeta& meta, const std::string& user_folder,
                                            const MessageSummary& summary, bool* done, PendingDurability* pending) {
  *done = false;
  std::string existing;
  Status s = index_->Lookup(user_folder, summary.sha256_hex, &existing);
  if (!s.ok() || existing.empty()) return s;
  if (existing == meta.archive_dir + "/" + meta.id + ".xml") return Status::Ok();  // ourselves
  const std::string path = Abs(existing);
  if (!FileExists(env_, path)) return Status::Ok();  // stale index entry: store as new
  const std::string context = "while adding a retrieval of message " + meta.id + " to " + existing;

  std::string xml;
  s = ReadWholeFile(env_, path, kMaxReportBytes, &xml);
  Report report;
  if (s.ok()) s = ParseReportXml(xml, &report);
  if (!s.ok()) return s.WithContext(context);

  const std::string journal = RetrievalJournalPath(path);
  const Retrieval fetch = RetrievalOf(meta);
  bool already = false;
  if (pending == nullptr) s = AlreadyRecorded(env_, journal, report, fetch, &already);
  if (!s.ok()) return s.WithContext(context);
  if (!already) {
    std::vector<Retrieval> records;
    // A report from before journals listed its later fetches itself: they
    // open the journal, so the journal holds every fetch after the first.
    if (report.retrieval_journal_bytes == 0 && report.retrievals.size() > 1 && !FileExists(env_, journal))
      records.assign(report.retrievals.begin() + 1, report.retrievals.end());
    records.push_back(fetch);
    s = AppendRetrievalRecords(env_, journal, records, kFilePerms);
    if (!s.ok()) return s.WithContext(context);
  }
  const std::string rel_eml = existing.substr(0, existing.size() - 4) + ".eml";  // ".xml" -> ".eml"
  *done = true;
  if (pending != nullptr) {
    AddOnce(&pending->files, journal);
    AddOnce(&pending->dirs, ParentDir(path));  // the journal may be new
    pending->folds.push_back(path);
    // Also when recovery finds the retrieval already written: the crash may
    // have come before the index heard of it (a repeated notice is a no-op).
    pending->notice = IndexingSink::Notice{report, rel_eml, existing};
    return Status::Ok();  // the writer folds, notifies and removes the spool
  }
  s = env_->SyncFiles({journal});
  if (s.ok()) s = env_->SyncDir(ParentDir(path));
  if (!s.ok()) return s.WithContext(context);
  // The record is durable: a report that cannot take it now (damaged
  // journal) does not keep the spool; verify names it, readers see the record.
  bool changed = false;
  Status folded = FoldRetrievals(path, kWholeJournal, /*durable=*/true, &report, &changed);
  if (!folded.ok()) Log(LogKind::kSystem, "message " + meta.id + ": " + folded.message());
  NotifyIndexingSink(report, rel_eml, existing);
  // Meta first: once it is gone a leftover .part is a plain orphan, never a
  // "verdict recorded but bytes lost" message.
  s = RemoveSpool(meta.spool_name);
  if (!s.ok()) *done = false;
  return s;
}

Status ArchiveStore::FoldRetrievals(const std::string& report_path, uint64_t limit, bool durable, Report* folded,
                                    bool* changed) {
  *changed = false;
  std::string xml;
  Status s = ReadWholeFile(env_, report_path, kMaxReportBytes, &xml);
  if (s.ok()) s = ParseReportXml(xml, folded);
  if (s.ok()) s = FoldRetrievalJournal(env_, RetrievalJournalPath(report_path), limit, folded, changed);
  if (s.ok() && *changed) {
    const std::string temp = SpoolPath(folded->id, ".retrievals.tmp");
    s = durable ? WriteFileAtomically(env_, report_path, RenderReportXml(*folded), temp, kFilePerms)
                : WriteFileReplacing(env_, report_path, RenderReportXml(*folded), temp, kFilePerms);
  }
  return s.WithContext("while folding retrievals into " + report_path);
}

Status ArchiveStore::FoldBatchRetrievals(const std::vector<std::string>& reports, const std::vector<uint64_t>& limits) {
  std::vector<std::string> rewritten, dirs;
  for (size_t i = 0; i < reports.size(); ++i) {
    Report folded;
    bool changed = false;
    Status s = FoldRetrievals(reports[i], limits[i], /*durable=*/false, &folded, &changed);
    if (!s.ok()) Log(LogKind::kSystem, s.message() + "; its retrievals are kept in the journal and folded later");
    if (!changed) continue;
    rewritten.push_back(reports[i]);
    AddOnce(&dirs, ParentDir(reports[i]));
  }
  if (rewritten.empty()) return Status::Ok();
  if (group_sync_) return group_sync_->Sync();
  Status s = env_->SyncFiles(rewritten);
  dirs.push_back(storage_dir_ + "/spool");  // the temps' entries
  for (const auto& dir : dirs)
    if (s.ok()) s = env_->SyncDir(dir);
  return s;
}

}  // namespace mailtee::archive
