// `mailtee archive verify`: proves the archive is what was archived.
//
// 1. The ledger's hash chain (ledger.h), and its head against the one the
//    search index remembers (catches entries cut off the end).
// 2. Every .eml under archive/ is hashed and compared with its report's
//    <sha256>, with the ledger entry, and with the index record. Rewriting an
//    .eml and its report together still disagrees with the ledger.
// 3. Every report is hashed and compared with the ledger (edited reports).
// 4. Files the ledger or index list that are gone; files nobody recorded.
// Each problem is one line naming the file and what it disagrees with.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "archive/index_db.h"
#include "config/status.h"

namespace mailtee::archive {

struct VerifyProgress {
  uint64_t files = 0;
  uint64_t bytes = 0;
  double seconds = 0;
};

struct VerifyOptions {
  ArchiveIndex* index = nullptr;   // null: skip the index comparisons (e.g. the daemon holds it)
  std::function<void(const VerifyProgress&)> progress;
  uint64_t progress_every_files = 1000;
  double progress_every_seconds = 2.0;
};

struct VerifyResult {
  uint64_t messages = 0, files = 0, bytes = 0, ledger_entries = 0;
  double seconds = 0;
  std::vector<std::string> problems;
  bool ok() const { return problems.empty(); }
};

// An error Status means verify could not run (unreadable folder); problems
// found in the archive are in result->problems.
Status VerifyArchive(const std::string& storage_dir, const VerifyOptions& options, VerifyResult* result);

}  // namespace mailtee::archive
