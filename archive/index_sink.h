// IndexingSink: what ArchiveStore calls once a message's files are durable,
// to record it in the ledger and the search index:
//
//   <storage>/index/ledger.log   hash chain (ledger.h), appended and fsynced first
//   <storage>/index/search       LevelDB search index (index_db.h)
//
// Call IndexCommitted from ArchiveStore::Commit (worker thread; thread-safe)
// after the .eml and report are renamed into place and their directory is
// fsynced, and again whenever a report is rewritten (a POP3 retrieval added):
// the second call is recorded as an "update" so verify keeps matching.
// Paths are relative to the storage dir ("archive/tanaka/2026/11/24/ID.eml");
// rel_eml is "" when only a report was written (refused messages).
// If it fails the message is still archived; `mailtee archive reindex` brings
// the index back, and verify reports the missing ledger entry.
#pragma once

#include <memory>
#include <string>

#include "archive/index_db.h"
#include "archive/ledger.h"
#include "archive/report.h"

namespace mailtee::archive {

class IndexingSink {
 public:
  // Creates <storage>/index if needed and opens the ledger and the search index.
  static Status Open(const std::string& storage_dir, std::unique_ptr<IndexingSink>* out);

  Status IndexCommitted(const Report& report, const std::string& rel_eml, const std::string& rel_report);

  // Retention: deletes the message's files, appends a "purge" entry, drops it
  // from the index. Idempotent.
  Status Purge(const IndexRecord& record);

  ArchiveIndex* index() { return index_.get(); }
  Ledger* ledger() { return ledger_.get(); }
  const std::string& storage_dir() const { return storage_dir_; }

 private:
  IndexingSink(std::string storage_dir, std::unique_ptr<Ledger> ledger, std::unique_ptr<ArchiveIndex> index);
  const std::string storage_dir_;
  std::unique_ptr<Ledger> ledger_;
  std::unique_ptr<ArchiveIndex> index_;
};

// The storage layout, in one place.
std::string SearchIndexDir(const std::string& storage_dir);  // <storage>/index/search
std::string LedgerPath(const std::string& storage_dir);      // <storage>/index/ledger.log

}  // namespace mailtee::archive
