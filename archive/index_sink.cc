#include "archive/index_sink.h"

#include <map>
#include <set>

#include "archive/env.h"
#include "archive/ledger_hash.h"
#include "archive/report.h"
#include "archive/retrieval_journal.h"

namespace mailtee::archive {
namespace {

constexpr size_t kMaxReportBytes = 64 << 20;  // reports of huge messages with many attachments stay far below

}  // namespace

std::string SearchIndexDir(const std::string& storage_dir) { return storage_dir + "/index/search"; }
std::string LedgerPath(const std::string& storage_dir) { return storage_dir + "/index/ledger.log"; }

IndexingSink::IndexingSink(std::string storage_dir, std::unique_ptr<Ledger> ledger, std::unique_ptr<ArchiveIndex> index)
    : storage_dir_(std::move(storage_dir)), ledger_(std::move(ledger)), index_(std::move(index)) {}

Status IndexingSink::Open(const std::string& storage_dir, std::unique_ptr<IndexingSink>* out) {
  Status s = CreateDirsDurably(Env::Default(), storage_dir + "/index", 0700);
  if (!s.ok()) return s;
  std::unique_ptr<ArchiveIndex> index;
  s = ArchiveIndex::Open(SearchIndexDir(storage_dir), {}, &index);
  if (!s.ok()) return s;
  std::unique_ptr<Ledger> ledger;
  s = Ledger::Open(LedgerPath(storage_dir), &ledger);
  if (!s.ok()) return s;
  out->reset(new IndexingSink(storage_dir, std::move(ledger), std::move(index)));
  return Status::Ok();
}

Status IndexingSink::IndexCommitted(const Report& report, const std::string& rel_eml, const std::string& rel_report) {
  const std::string context = "while indexing archived message " + report.id;
  std::string report_bytes;
  Status s = ReadWholeFile(Env::Default(), storage_dir_ + "/" + rel_report, kMaxReportBytes, &report_bytes);
  if (!s.ok()) return s.WithContext(context);
  IndexRecord record = RecordFromReport(report, rel_eml, rel_report, Sha256Hex(report_bytes));

  std::lock_guard<std::mutex> lock(IdLock(report.id));
  IndexRecord existing;
  bool known = false;
  s = index_->Get(report.id, &existing, &known);
  if (!s.ok()) return s.WithContext(context);
  if (known && existing == record) return Status::Ok();  // a re-notification after a crash
  LedgerEntry entry{.action = known ? kLedgerActionUpdate : kLedgerActionArchive,
                    .id = report.id,
                    .eml_path = rel_eml,
                    .report_path = rel_report,
                    .message_sha256 = rel_eml.empty() ? "" : report.summary.sha256_hex,
                    .report_sha256 = record.report_sha256_hex};
  s = ledger_->Append(&entry);
  if (!s.ok()) return s.WithContext(context);
  return index_->AddRecord(record, true, ledger_->Head()).WithContext(context);
}

Status IndexingSink::Purge(const IndexRecord& record) {
  const std::string context = "while purging message " + record.id;
  std::lock_guard<std::mutex> lock(IdLock(record.id));
  Env* env = Env::Default();
  // The retrieval journal (a message fetched again) goes with its report.
  const std::string journal = record.report_path.empty() ? "" : RetrievalJournalPath(record.report_path);
  for (const std::string* rel : {&record.eml_path, &journal, &record.report_path}) {
    if (rel->empty()) continue;
    Status s = env->RemoveFile(storage_dir_ + "/" + *rel);
    if (s.ok()) s = env->SyncDir(ParentDir(storage_dir_ + "/" + *rel));
    if (!s.ok()) return s.WithContext(context);
  }
  LedgerEntry entry{.action = kLedgerActionPurge, .id = record.id, .eml_path = record.eml_path,
                    .report_path = record.report_path, .message_sha256 = record.sha256_hex,
                    .report_sha256 = record.report_sha256_hex};
  Status s = ledger_->Append(&entry);
  if (!s.ok()) return s.WithContext(context);
  return index_->Remove(record.id, ledger_->Head()).WithContext(context);
}

size_t IndexingSink::IdStripe(const std::string& id) const {
  return std::hash<std::string>()(id) % id_locks_.size();
}

std::mutex& IndexingSink::IdLock(const std::string& id) { return id_locks_[IdStripe(id)]; }

Status IndexingSink::IndexCommittedMany(const std::vector<Notice>& notices) {
  // Every id of the batch stays locked from the comparison with the index
  // until its record is written (as IndexCommitted does for one); stripes
  // are taken once each, in ascending order.
  std::set<size_t> stripes;
  for (const auto& n : notices) stripes.insert(IdStripe(n.report.id));
  std::vector<std::unique_lock<std::mutex>> locks;
  for (size_t stripe : stripes) locks.emplace_back(id_locks_[stripe]);

  Status first_error;
  auto note = [&first_error](const Status& s) {
    if (!s.ok() && first_error.ok()) first_error = s;
  };
  std::map<std::string, IndexRecord> batch;  // id -> newest record of this batch
  std::vector<IndexRecord> to_write;
  std::string head;  // this batch's last ledger entry
  for (const auto& n : notices) {
    const std::string context = "while indexing archived message " + n.report.id;
    std::string report_bytes;
    Status s = ReadWholeFile(Env::Default(), storage_dir_ + "/" + n.rel_report, kMaxReportBytes, &report_bytes);
    if (!s.ok()) {
      note(s.WithContext(context));
      continue;
    }
    // The record follows the file as it is now, not the Report the commit
    // built: a rewrite since (a retrieval, an approval outcome) must not be undone.
    Report current;
    const bool parsed = ParseReportXml(report_bytes, &current).ok();
    if (parsed && current.id.empty()) current.id = n.report.id;
    const Report& report = parsed ? current : n.report;
    IndexRecord record = RecordFromReport(report, n.rel_eml, n.rel_report, Sha256Hex(report_bytes));
    IndexRecord existing;
    bool known = false;
    auto in_batch = batch.find(n.report.id);
    if (in_batch != batch.end()) {
      existing = in_batch->second;
      known = true;
    } else {
      s = index_->Get(n.report.id, &existing, &known);
      if (!s.ok()) {
        note(s.WithContext(context));
        continue;
      }
    }
    if (known && existing == record) continue;  // a re-notification after a crash
    LedgerEntry entry{.action = known ? kLedgerActionUpdate : kLedgerActionArchive,
                      .id = n.report.id,
                      .eml_path = n.rel_eml,
                      .report_path = n.rel_report,
                      .message_sha256 = n.rel_eml.empty() ? "" : report.summary.sha256_hex,
                      .report_sha256 = record.report_sha256_hex};
    s = ledger_->Append(&entry, /*wait_durable=*/false);
    if (!s.ok()) {
      note(s.WithContext(context));
      break;  // the ledger's errors are sticky
    }
    head = std::to_string(entry.seq) + " " + entry.entry_hash;
    batch[n.report.id] = record;
    to_write.push_back(std::move(record));
  }
  if (to_write.empty()) return first_error;
  // The index never runs ahead of the durable ledger (CatchUp replays forward only).
  Status s = ledger_->Sync();
  if (!s.ok()) {
    note(s.WithContext("while indexing " + std::to_string(to_write.size()) + " archived messages"));
    return first_error;
  }
  for (const auto& record : to_write) note(index_->AddRecord(record, /*sync=*/false));
  // Synced: also makes the records above durable (LevelDB's log is sequential).
  note(index_->SetLedgerHead(head));
  return first_error;
}

Status IndexingSink::CatchUp(CatchUpStats* stats) {
  *stats = CatchUpStats();
  if (index_->tokenizer_outdated()) stats->warnings.push_back(std::string(kTokenizerOutdatedWarning));
  std::string index_head;
  Status s = index_->GetLedgerHead(&index_head);
  if (!s.ok()) return s.WithContext("while checking the search index against the ledger");
  const std::string ledger_head = ledger_->Head();
  if (index_head == ledger_head) return Status::Ok();
  const uint64_t index_seq = index_head.empty() ? 0 : std::strtoull(index_head.c_str(), nullptr, 10);
  const uint64_t ledger_seq = ledger_head.empty() ? 0 : std::strtoull(ledger_head.c_str(), nullptr, 10);
  if (ledger_seq <= index_seq) {
    // Equal seq with another hash, or a ledger shorter than the index: the
    // ledger was edited. Nothing to replay; verify names the damage.
    stats->warnings.push_back("the search index saw ledger entry " + index_head + " but ledger.log ends at " +
                              (ledger_head.empty() ? "nothing" : ledger_head) + " (run 'mailtee archive verify')");
    return Status::Ok();
  }
  Status apply;
  LedgerScan scan;
  s = ScanLedger(LedgerPath(storage_dir_), [&](const LedgerEntry& e) {
    if (e.seq <= index_seq || !apply.ok()) return;
    ++stats->replayed;
    std::lock_guard<std::mutex> lock(IdLock(e.id));
    if (e.action == kLedgerActionPurge) {
      apply = index_->Remove(e.id);
      return;
    }
    std::string xml;
    Report report;
    Status r = ReadWholeFile(Env::Default(), storage_dir_ + "/" + e.report_path, kMaxReportBytes, &xml);
    if (r.ok()) r = ParseReportXml(xml, &report);
    if (!r.ok()) {  // purged later in the ledger, or really gone
      stats->warnings.push_back("ledger entry #" + std::to_string(e.seq) + ": " + r.message());
      return;
    }
    if (report.id.empty()) report.id = e.id;
    apply = index_->AddRecord(RecordFromReport(report, e.eml_path, e.report_path, Sha256Hex(xml)), false);
  }, &scan);
  if (s.ok()) s = apply;
  if (s.ok()) s = index_->SetLedgerHead(ledger_head);  // synced: also flushes the replayed records
  return s.WithContext("while bringing the search index up to ledger entry " + ledger_head);
}

}  // namespace mailtee::archive
