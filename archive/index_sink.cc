#include "archive/index_sink.h"

#include "archive/env.h"
#include "archive/ledger_hash.h"

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

  IndexRecord existing;
  bool known = false;
  s = index_->Get(report.id, &existing, &known);
  if (!s.ok()) return s.WithContext(context);
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
  Env* env = Env::Default();
  for (const std::string* rel : {&record.eml_path, &record.report_path}) {
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

}  // namespace mailtee::archive
