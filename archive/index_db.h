// ArchiveIndex: the search index of the archive, a LevelDB database at
// <storage>/index/search (separate from the store's index/state). It is a
// cache of the report files: `mailtee archive reindex` rebuilds it from the
// folder. Key layout and query plan: index_keys.h. Thread-safe (LevelDB is).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "archive/index_query.h"
#include "archive/index_record.h"
#include "archive/report.h"
#include "config/status.h"

namespace leveldb {
class DB;
struct ReadOptions;
}

namespace mailtee::archive {

// What to tell an admin when ArchiveIndex::tokenizer_outdated(): the daemon
// logs it at start (IndexingSink::CatchUp), `mailtee archive search` prints it.
inline constexpr std::string_view kTokenizerOutdatedWarning =
    "the search index was built before one-character Japanese search (index format 1): a search for one "
    "kanji or kana misses the messages indexed before the upgrade until 'mailtee archive reindex' runs "
    "(stop the daemon first)";

class ArchiveIndex {
 public:
  struct Options {
    bool create_if_missing = true;
    size_t block_cache_bytes = 32 << 20;
    // LevelDB's memtable size: tests make it small so data spreads over
    // table files and levels as in a big archive.
    size_t write_buffer_bytes = 16 << 20;
  };
  // A database locked by another process (the daemon) fails with a message
  // containing "locked" — IsLockError() tells the CLI to explain that.
  static Status Open(const std::string& db_dir, const Options& options, std::unique_ptr<ArchiveIndex>* out);
  static bool IsLockError(const Status& status);
  ~ArchiveIndex();

  // True when the index holds messages tokenized by an older tokenizer
  // (index_tokenizer.h kTokenizerVersion; format 1 had no CJK unigrams, so a
  // one-character search misses those messages). Searching still works;
  // `mailtee archive reindex` brings it up to date. A new, empty index is
  // stamped with the current version when it opens.
  bool tokenizer_outdated() const { return tokenizer_outdated_; }

  // Adds (or replaces) one message: record and every posting key in one
  // WriteBatch, synced before it returns. Paths are relative to the storage dir.
  Status Add(const Report& report, const std::string& relative_eml_path,
             const std::string& relative_report_path, const std::string& report_sha256_hex = "");
  // The same from a ready record; sync=false for bulk loads (reindex, benchmarks):
  // call Flush() at the end to make them durable.
  // ledger_head (optional): stored in the same batch (see SetLedgerHead).
  Status AddRecord(const IndexRecord& record, bool sync, const std::string& ledger_head = "");
  Status Flush();
  // Rewrites the whole database into its last levels, so reads merge fewer
  // files and no background compaction follows. For after a bulk load
  // (benchmarks; reindex may use it); takes minutes at 1M messages.
  Status Compact();
  // Removing an id that is not indexed is ok.
  Status Remove(const std::string& id, const std::string& ledger_head = "");

  Status Get(const std::string& id, IndexRecord* record, bool* found);
  Status Search(const Query& query, ResultPage* page);
  // Every record, in id order; stop early by returning false from fn.
  Status ForEach(const std::function<bool(const IndexRecord&)>& fn);

  // The ledger entry the index last saw ("" when none): verify detects a
  // ledger cut short at its end by comparing with it.
  Status SetLedgerHead(const std::string& head);
  Status GetLedgerHead(std::string* head);

 private:
  explicit ArchiveIndex(leveldb::DB* db, void* cache);
  Status CheckTokenizerVersion();
  Status GetAt(const leveldb::ReadOptions& read, const std::string& id, IndexRecord* record, bool* found);
  Status RecordKeysToDelete(const std::string& id, std::vector<std::string>* keys, bool* found);

  std::unique_ptr<leveldb::DB> db_;
  void* cache_;  // leveldb::Cache*, owned
  bool tokenizer_outdated_ = false;
};

}  // namespace mailtee::archive
