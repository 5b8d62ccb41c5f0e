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
// Calling it again with unchanged files is a no-op (no second ledger entry),
// so a store may re-notify after a crash whenever it is unsure.
// If it fails the message is still archived; `mailtee archive reindex` brings
// the index back, and verify reports the missing ledger entry.
#pragma once

#include <array>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "archive/index_db.h"
#include "archive/ledger.h"
#include "archive/report.h"

namespace mailtee::archive {

class IndexingSink {
 public:
  // Creates <storage>/index if needed and opens the ledger and the search index.
  static Status Open(const std::string& storage_dir, std::unique_ptr<IndexingSink>* out);

  Status IndexCommitted(const Report& report, const std::string& rel_eml, const std::string& rel_report);

  // The same for a batch of messages whose files are all durable: their
  // ledger lines share one fdatasync and their index records one sync write
  // (ArchiveStore's background writer). The same id may appear twice (a
  // message and a retrieval added to it): the later notice is an "update".
  // Records are built from each report file as it is when the batch runs
  // (Notice::report only if it does not parse), so a report rewritten in the
  // meantime is indexed as rewritten.
  // Every notice is tried; the first error is returned.
  struct Notice {
    Report report;
    std::string rel_eml, rel_report;
  };
  Status IndexCommittedMany(const std::vector<Notice>& notices);

  // Retention: deletes the message's files, appends a "purge" entry, drops it
  // from the index. Idempotent.
  Status Purge(const IndexRecord& record);

  // Start-up consistency (call after ArchiveStore::Recover, before listeners
  // open): brings the index up to the ledger. A crash between a ledger append
  // and the index write leaves the index behind; CatchUp replays the ledger
  // entries after the one the index last saw (archive/update: index the report
  // file as it is now; purge: drop the record), then records the new head.
  // Normal case: the two heads are equal and nothing is read.
  // It never appends to the ledger. Files the ledger lists that are gone are
  // left out of the index and named in stats (verify reports them too).
  struct CatchUpStats {
    uint64_t replayed = 0;                 // ledger entries applied
    std::vector<std::string> warnings;     // missing reports, a ledger behind the index, an outdated index
  };
  Status CatchUp(CatchUpStats* stats);

  ArchiveIndex* index() { return index_.get(); }
  Ledger* ledger() { return ledger_.get(); }
  const std::string& storage_dir() const { return storage_dir_; }

 private:
  IndexingSink(std::string storage_dir, std::unique_ptr<Ledger> ledger, std::unique_ptr<ArchiveIndex> index);
  // One message's ledger entry and index record change together: a POP3
  // re-fetch (update) racing the retention task (purge) of the same id.
  std::mutex& IdLock(const std::string& id);
  size_t IdStripe(const std::string& id) const;

  const std::string storage_dir_;
  std::unique_ptr<Ledger> ledger_;
  std::unique_ptr<ArchiveIndex> index_;
  std::array<std::mutex, 64> id_locks_;
};

// The storage layout, in one place.
std::string SearchIndexDir(const std::string& storage_dir);  // <storage>/index/search
std::string LedgerPath(const std::string& storage_dir);      // <storage>/index/ledger.log

}  // namespace mailtee::archive
