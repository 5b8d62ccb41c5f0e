// `mailtee archive export`: the messages a Query selects (all pages, newest
// first) as one mbox stream or one zip of <user>/YYYY/MM/DD/<id>.eml + .xml
// (+ .retrievals, the retrieval journal of a message fetched more than once).
#pragma once

#include <cstdint>
#include <functional>

#include "archive/export_writers.h"
#include "archive/index_db.h"

namespace mailtee::archive {

enum class ExportFormat { kMbox, kZip };

struct ExportStats {
  uint64_t messages = 0;
  uint64_t bytes = 0;       // written to the sink
  std::vector<std::string> skipped;  // selected but without an .eml (refused) — reports still go into zips
};

Status ExportSelection(ArchiveIndex* index, const std::string& storage_dir, Query query, ExportFormat format,
                       const ByteSink& out, ExportStats* stats, bool force_zip64 = false);

// The same with any search (e.g. the running daemon's, over its socket); the
// message files are read from storage_dir.
using SearchFn = std::function<Status(const Query&, ResultPage*)>;
Status ExportSelection(const SearchFn& search, const std::string& storage_dir, Query query, ExportFormat format,
                       const ByteSink& out, ExportStats* stats, bool force_zip64 = false);

}  // namespace mailtee::archive
