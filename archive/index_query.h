// Query and ResultPage of the archive search (ArchiveIndex::Search).
// Every set field narrows the result (AND). Results are newest first.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "archive/index_record.h"

namespace mailtee::archive {

struct Query {
  std::string user;        // the archive user, case-insensitive, exact
  // Address filters, case-insensitive: "a@example.jp" matches that address,
  // "example.jp" or "@example.jp" every address at that domain (exactly).
  // from: envelope sender and header From. to: envelope recipients, To, Cc.
  std::string from, to;
  std::string subject;     // words, tokenized like the index (index_tokenizer.h), ANDed
  std::string sha256_hex;  // of the .eml
  std::string message_id;  // exactly as in the header, with or without <>
  std::optional<int64_t> since_ms, until_ms;   // received_at in [since, until)
  std::string direction;   // "sent" | "received" | "" (both)
  std::optional<bool> has_attachment;
  size_t limit = 50;       // page size, at least 1
  std::string cursor;      // from the previous page's next_cursor; "" = first page
};

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
