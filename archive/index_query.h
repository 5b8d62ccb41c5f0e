// Query and ResultPage of the archive search (ArchiveIndex::Search).
// Every set field narrows the result (AND). Results are newest first.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "archive/index_record.h"
#include "config/status.h"

namespace mailtee::archive {

struct Query {
  std::string user;        // the archive user, case-insensitive, exact
  // Address filters, case-insensitive: "a@example.jp" matches that address,
  // "example.jp" or "@example.jp" every address at that domain (exactly).
  // from: envelope sender and header From. to: envelope recipients, To, Cc.
  std::string from, to;
  // Words, tokenized like the index (index_tokenizer.h), ANDed; Japanese
  // matches as a substring ("件", "12月"). Must hold something indexable.
  std::string subject;
  std::string sha256_hex;  // of the .eml
  std::string message_id;  // exactly as in the header, with or without <>
  std::optional<int64_t> since_ms, until_ms;   // received_at in [since, until)
  std::string direction;   // "sent" | "received" | "" (both)
  std::optional<bool> has_attachment;
  size_t limit = 50;       // page size, at least 1
  std::string cursor;      // from the previous page's next_cursor; "" = first page
};

// Refuses what cannot be searched for: a subject with no word, number, kana
// or kanji ("①", "！", "-") — it would filter nothing and list every message.
// ArchiveIndex::Search checks it too; the API and CLI call it first to answer
// 400 / exit 2 with this message.
Status ValidateQuery(const Query& q);

struct ResultPage {
  std::vector<IndexRecord> records;  // newest first
  std::string next_cursor;           // "" when there is nothing more
  uint64_t examined = 0;             // candidates read (for benchmarks and --verbose)
  // The posting lists in join order, rarest first, with their sizes when
  // there was more than one: an exact count below 64, else entries per day
  // where the walk starts ("mid/a@b=1 td/x.jp~9.1/d u/tanaka~13.9/d").
  std::string plan;
};

}  // namespace mailtee::archive
