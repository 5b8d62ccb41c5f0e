// How `mailtee archive` reaches the archive index: opened directly when no
// daemon runs, or — while `mailtee run` holds the index's LevelDB lock —
// through the daemon's root-only local socket <storage>/admin.sock
// (admin/local_client.h). Message files are read directly either way (the CLI
// runs as root on the same host); only index lookups go through the daemon.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "archive/index_db.h"
#include "archive/index_stats.h"
#include "archive/verify.h"

namespace mailtee::cli {

class ArchiveAccess {
 public:
  virtual ~ArchiveAccess() = default;
  virtual Status Search(const archive::Query& query, archive::ResultPage* page) = 0;
  virtual Status Get(const std::string& id, archive::IndexRecord* record, bool* found) = 0;
  virtual Status Stats(std::vector<archive::UserStats>* stats) = 0;
  // Direct: verify here with progress; daemon: it verifies on a worker thread.
  virtual Status Verify(const archive::VerifyOptions& options, archive::VerifyResult* result) = 0;
  virtual bool via_daemon() const = 0;
};

// The index directly, or the daemon when the index is locked. Errors say what
// to do (no index yet: reindex; locked but no daemon answering: stale lock).
Status OpenArchiveAccess(const std::string& storage_dir, std::unique_ptr<ArchiveAccess>* out);

}  // namespace mailtee::cli
