// The retrieval journal: <id>.retrievals beside a received message's report.
//
// A message fetched again (a client that leaves mail on the server) is kept
// once per user; every later fetch appends one line here instead of
// rewriting the report, so a fetch costs the same whether it is the 2nd or
// the 4,000th (rewriting a report that lists every fetch grew quadratically):
//
//   retrieval <fetch id> <at> <client-ip> <FNV-1a 64 of the text before it>
//
// Fields are percent-encoded (space, controls, non-ASCII, '%'); "-" is empty.
// The fetch id is the capture's archive id: two fetches in one millisecond
// stay two records. A line that fails its checksum was torn by a crash and is
// skipped; a record appended right after torn bytes is still found.
//
// The store folds new records into the report in batches (the background
// writer): the report then counts every folded retrieval and lists the first
// (the message's own) and the most recent ones, up to kReportListedRetrievals,
// with how many journal bytes it has folded and a SHA-256 chain over the
// folded records, so `mailtee archive verify` detects an edited journal (the
// report itself is hashed in the ledger). The journal is part of the files
// that are the truth: reindex does not need it, retention purges it with the
// message, export puts it beside the report. Format: docs/report-format.md.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "archive/env.h"
#include "archive/report.h"

namespace mailtee::archive {

// How many retrievals a report lists at most: the first and the most recent.
inline constexpr size_t kReportListedRetrievals = 20;
inline constexpr uint64_t kWholeJournal = std::numeric_limits<uint64_t>::max();

// ".../<id>.xml" -> ".../<id>.retrievals" (relative or absolute).
std::string RetrievalJournalPath(const std::string& report_path);
inline constexpr std::string_view kRetrievalJournalSuffix = ".retrievals";

// One record line, '\n'-terminated.
std::string SerializeRetrievalRecord(const Retrieval& retrieval);

// Appends the records with one write (O_APPEND); creates the file (perms) if
// missing. Nothing is durable until the caller syncs the file (and, for a new
// file, its folder).
Status AppendRetrievalRecords(Env* env, const std::string& journal_path, const std::vector<Retrieval>& records,
                              int perms);

struct RetrievalRecord {
  Retrieval retrieval;
  std::string text;  // the record as written, without checksum and newline: what the chain hashes
};

// One line without its '\n': false if torn or damaged. A line that runs
// from torn bytes into a whole record yields that record.
bool ParseRetrievalLine(std::string_view line, RetrievalRecord* record);

// The intact records whose lines end in [from, limit): reads from offset
// from (no earlier byte is read) up to limit or the end of the file. *end is
// the offset just past the last complete line, where the next read starts
// (an incomplete last line may still be being written). A missing file has
// no records.
Status ReadRetrievalRecords(Env* env, const std::string& journal_path, uint64_t from, uint64_t limit,
                            std::vector<RetrievalRecord>* records, uint64_t* end);

// Adds journal records [report->retrieval_journal_bytes, limit) to report:
// count, listed retrievals, journal bytes and chain. Repeatable: a fold that
// finds nothing new leaves *changed false. Error when the journal is shorter
// than the report says it folded (it was cut or replaced: verify names it).
Status FoldRetrievalJournal(Env* env, const std::string& journal_path, uint64_t limit, Report* report,
                            bool* changed);

// Every retrieval of a message, for readers (console, CLI, export): the
// report's first and every journal record, also those not folded yet; the
// report's list when it has no journal.
Status ReadAllRetrievals(Env* env, const std::string& report_path, const Report& report,
                         std::vector<Retrieval>* out);

// verify: the journal's folded part against the report (chain, count, length).
// Each disagreement is one line in *problems, naming journal_label.
Status CheckRetrievalJournal(Env* env, const std::string& journal_path, const std::string& journal_label,
                             const Report& report, std::vector<std::string>* problems);

}  // namespace mailtee::archive
