#include "archive/export.h"

#include "archive/env.h"
#include "archive/retrieval_journal.h"

namespace mailtee::archive {
namespace {

// "archive/tanaka/2026/11/24/ID.eml" -> "tanaka/2026/11/24/ID.eml"
std::string ZipName(const std::string& rel) {
  static const std::string kPrefix = "archive/";
  return rel.rfind(kPrefix, 0) == 0 ? rel.substr(kPrefix.size()) : rel;
}

}  // namespace

Status ExportSelection(ArchiveIndex* index, const std::string& storage_dir, Query query, ExportFormat format,
                       const ByteSink& out, ExportStats* stats, bool force_zip64) {
  return ExportSelection([index](const Query& q, ResultPage* page) { return index->Search(q, page); }, storage_dir,
                         std::move(query), format, out, stats, force_zip64);
}

Status ExportSelection(const SearchFn& search, const std::string& storage_dir, Query query, ExportFormat format,
                       const ByteSink& out, ExportStats* stats, bool force_zip64) {
  *stats = ExportStats();
  ByteSink counted = [&](std::string_view data) {
    stats->bytes += data.size();
    return out(data);
  };
  MboxWriter mbox(counted);
  ZipWriter zip(counted, force_zip64);
  query.limit = 500;
  for (;;) {
    ResultPage page;
    Status s = search(query, &page);
    if (!s.ok()) return s;
    for (const IndexRecord& r : page.records) {
      if (r.eml_path.empty()) stats->skipped.push_back(r.report_path + ": no message bytes (" + r.outcome + ")");
      if (format == ExportFormat::kMbox) {
        if (r.eml_path.empty()) continue;
        s = mbox.AddMessage(storage_dir + "/" + r.eml_path, r.envelope_from, r.time_ms);
      } else {
        if (!r.eml_path.empty()) s = zip.AddFile(ZipName(r.eml_path), storage_dir + "/" + r.eml_path, r.time_ms);
        if (s.ok()) s = zip.AddFile(ZipName(r.report_path), storage_dir + "/" + r.report_path, r.time_ms);
        // Every retrieval after the first of a message fetched again (retrieval_journal.h).
        const std::string journal = RetrievalJournalPath(r.report_path);
        if (s.ok() && FileExists(Env::Default(), storage_dir + "/" + journal))
          s = zip.AddFile(ZipName(journal), storage_dir + "/" + journal, r.time_ms);
      }
      if (!s.ok()) return s.WithContext("while exporting message " + r.id);
      ++stats->messages;
    }
    if (page.next_cursor.empty()) break;
    query.cursor = page.next_cursor;
  }
  return format == ExportFormat::kZip ? zip.Finish() : Status::Ok();
}

}  // namespace mailtee::archive
