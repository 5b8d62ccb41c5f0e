#include "archive/index_db.h"

#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/filter_policy.h>
#include <leveldb/write_batch.h>

#include <cstdlib>

#include "archive/index_keys.h"
#include "archive/index_tokenizer.h"

namespace mailtee::archive {
namespace {

Status FromLevelDb(const leveldb::Status& s, const std::string& context) {
  if (s.ok()) return Status::Ok();
  return Status::Error(s.ToString() + " " + context);
}

const leveldb::FilterPolicy* BloomFilter() {
  static const leveldb::FilterPolicy* policy = leveldb::NewBloomFilterPolicy(10);
  return policy;
}

}  // namespace

ArchiveIndex::ArchiveIndex(leveldb::DB* db, void* cache) : db_(db), cache_(cache) {}

ArchiveIndex::~ArchiveIndex() {
  db_.reset();  // before the cache it uses
  delete static_cast<leveldb::Cache*>(cache_);
}

Status ArchiveIndex::Open(const std::string& db_dir, const Options& options, std::unique_ptr<ArchiveIndex>* out) {
  leveldb::Options lo;
  lo.create_if_missing = options.create_if_missing;
  lo.filter_policy = BloomFilter();  // record lookups by id skip most table reads
  lo.write_buffer_size = options.write_buffer_bytes;
  leveldb::Cache* cache = leveldb::NewLRUCache(options.block_cache_bytes);
  lo.block_cache = cache;
  leveldb::DB* db = nullptr;
  leveldb::Status s = leveldb::DB::Open(lo, db_dir, &db);
  if (!s.ok()) {
    delete cache;
    return FromLevelDb(s, "while opening the search index " + db_dir);
  }
  std::unique_ptr<ArchiveIndex> index(new ArchiveIndex(db, cache));
  Status checked = index->CheckTokenizerVersion();
  if (!checked.ok()) return checked.WithContext("while opening the search index " + db_dir);
  *out = std::move(index);
  return Status::Ok();
}

Status ArchiveIndex::CheckTokenizerVersion() {
  std::string stamp;
  leveldb::Status s = db_->Get(leveldb::ReadOptions(), std::string(index_keys::kTokenizerVersionKey), &stamp);
  if (s.ok()) {
    tokenizer_outdated_ = std::atoi(stamp.c_str()) < kTokenizerVersion;
    return Status::Ok();
  }
  if (!s.IsNotFound()) return FromLevelDb(s, "while reading the tokenizer version");
  // No stamp: format 1 if it holds any message, else new (or empty) — stamp it.
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(leveldb::ReadOptions()));
  it->Seek(std::string(index_keys::kRecordPrefix));
  if (it->Valid() && it->key().starts_with(std::string(index_keys::kRecordPrefix))) {
    tokenizer_outdated_ = true;
    return Status::Ok();
  }
  if (!it->status().ok()) return FromLevelDb(it->status(), "while reading the tokenizer version");
  leveldb::WriteOptions wo;
  wo.sync = true;
  return FromLevelDb(db_->Put(wo, std::string(index_keys::kTokenizerVersionKey), std::to_string(kTokenizerVersion)),
                     "while recording the tokenizer version");
}

bool ArchiveIndex::IsLockError(const Status& status) {
  return !status.ok() && (status.message().find("/LOCK") != std::string::npos ||
                          status.message().find("lock ") != std::string::npos);
}

Status ArchiveIndex::RecordKeysToDelete(const std::string& id, std::vector<std::string>* keys, bool* found) {
  IndexRecord old;
  Status s = Get(id, &old, found);
  if (!s.ok() || !*found) return s;
  *keys = index_keys::PostingKeys(old);
  keys->push_back(index_keys::RecordKey(id));
  return Status::Ok();
}

Status ArchiveIndex::Add(const Report& report, const std::string& relative_eml_path,
                         const std::string& relative_report_path, const std::string& report_sha256_hex) {
  return AddRecord(RecordFromReport(report, relative_eml_path, relative_report_path, report_sha256_hex), true);
}

Status ArchiveIndex::AddRecord(const IndexRecord& record, bool sync, const std::string& ledger_head) {
  const std::string context = "while indexing message " + record.id;
  if (record.id.empty()) return Status::Error("message has no id " + context);
  std::vector<std::string> old_keys;
  bool found = false;
  Status s = RecordKeysToDelete(record.id, &old_keys, &found);
  if (!s.ok()) return s.WithContext(context);
  leveldb::WriteBatch batch;
  for (const std::string& k : old_keys) batch.Delete(k);  // a replaced record leaves no stale postings
  batch.Put(index_keys::RecordKey(record.id), EncodeRecord(record));
  for (const std::string& k : index_keys::PostingKeys(record)) batch.Put(k, leveldb::Slice());
  if (!ledger_head.empty()) batch.Put(std::string(index_keys::kLedgerHeadKey), ledger_head);
  leveldb::WriteOptions wo;
  wo.sync = sync;
  return FromLevelDb(db_->Write(wo, &batch), context);
}

Status ArchiveIndex::Flush() {
  // An empty synced write forces the log (and everything before it) to disk.
  leveldb::WriteBatch batch;
  leveldb::WriteOptions wo;
  wo.sync = true;
  return FromLevelDb(db_->Write(wo, &batch), "while flushing the search index");
}

Status ArchiveIndex::Compact() {
  db_->CompactRange(nullptr, nullptr);  // reports no errors; a failed compaction shows on the next read or write
  return Status::Ok();
}

Status ArchiveIndex::Remove(const std::string& id, const std::string& ledger_head) {
  const std::string context = "while removing message " + id + " from the search index";
  std::vector<std::string> keys;
  bool found = false;
  Status s = RecordKeysToDelete(id, &keys, &found);
  if (!s.ok()) return s.WithContext(context);
  leveldb::WriteBatch batch;
  for (const std::string& k : keys) batch.Delete(k);
  if (!ledger_head.empty()) batch.Put(std::string(index_keys::kLedgerHeadKey), ledger_head);
  leveldb::WriteOptions wo;
  wo.sync = true;
  return FromLevelDb(db_->Write(wo, &batch), context);
}

Status ArchiveIndex::Get(const std::string& id, IndexRecord* record, bool* found) {
  return GetAt(leveldb::ReadOptions(), id, record, found);
}

Status ArchiveIndex::GetAt(const leveldb::ReadOptions& read, const std::string& id, IndexRecord* record,
                           bool* found) {
  std::string value;
  leveldb::Status s = db_->Get(read, index_keys::RecordKey(id), &value);
  *found = false;
  if (s.IsNotFound()) return Status::Ok();
  if (!s.ok()) return FromLevelDb(s, "while reading message " + id + " from the search index");
  Status d = DecodeRecord(value, record);
  if (!d.ok()) return d.WithContext("(message " + id + ")");
  *found = true;
  return Status::Ok();
}

Status ArchiveIndex::ForEach(const std::function<bool(const IndexRecord&)>& fn) {
  leveldb::ReadOptions ro;
  ro.fill_cache = false;  // a full scan would evict what searches need
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(ro));
  const std::string prefix(index_keys::kRecordPrefix);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    IndexRecord record;
    Status s = DecodeRecord(std::string_view(it->value().data(), it->value().size()), &record);
    if (!s.ok()) return s.WithContext("(key " + it->key().ToString() + ")");
    if (!fn(record)) break;
  }
  return FromLevelDb(it->status(), "while scanning the search index");
}

Status ArchiveIndex::SetLedgerHead(const std::string& head) {
  leveldb::WriteOptions wo;
  wo.sync = true;
  return FromLevelDb(db_->Put(wo, std::string(index_keys::kLedgerHeadKey), head), "while recording the ledger head");
}

Status ArchiveIndex::GetLedgerHead(std::string* head) {
  head->clear();
  leveldb::Status s = db_->Get(leveldb::ReadOptions(), std::string(index_keys::kLedgerHeadKey), head);
  if (s.IsNotFound()) return Status::Ok();
  return FromLevelDb(s, "while reading the ledger head");
}

}  // namespace mailtee::archive
