// IndexRecord: what the search index keeps per message (m/<id> in
// <storage>/index/search). Everything in it comes from the report file and
// the two paths, so `mailtee archive reindex` rebuilds identical records from
// the folder alone. Encoded compactly (varint-length fields, versioned).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "archive/report.h"
#include "config/status.h"

namespace mailtee::archive {

struct IndexRecord {
  std::string id;
  std::string user;            // as in the report
  std::string direction;       // "sent" | "received"
  std::string protocol;
  std::string received_at;     // ISO 8601 as in the report
  int64_t time_ms = 0;         // received_at as Unix milliseconds (the sort key)
  std::string envelope_from;
  std::vector<std::string> envelope_to;
  std::vector<std::string> from, to, cc;
  std::string subject;
  std::string message_id;
  uint64_t size = 0;
  std::string sha256_hex;      // of the .eml bytes, as the report states
  uint32_t attachment_count = 0;
  std::string outcome;
  std::string eml_path;        // relative to the storage dir; empty when no .eml (refused)
  std::string report_path;     // relative to the storage dir
  std::string report_sha256_hex;  // of the report file's bytes

  bool operator==(const IndexRecord&) const = default;
};

IndexRecord RecordFromReport(const Report& report, const std::string& eml_path,
                             const std::string& report_path, const std::string& report_sha256_hex);

std::string EncodeRecord(const IndexRecord& record);
Status DecodeRecord(std::string_view bytes, IndexRecord* record);

// "2026-11-24T16:20:24.123+09:00" (also "Z", no fraction) -> Unix ms.
bool ParseIsoTimeMs(std::string_view iso, int64_t* ms);
// Falls back to the UTC second in the id ("20261124T162024Z-...") when
// received_at does not parse, so a message always has a place in time.
int64_t MessageTimeMs(const std::string& received_at, const std::string& id);
// Unix ms -> "2026-11-24T07:20:24Z" (UTC, whole seconds).
std::string FormatUtcTime(int64_t ms);

// The bare address of "Name <a@b>" (or "a@b"), ASCII-lowercased; "" if none.
std::string NormalizeAddress(std::string_view mailbox);
// "a@Example.JP" -> "example.jp"; "" without '@'.
std::string AddressDomain(std::string_view address);

}  // namespace mailtee::archive
