// Streaming writers for `mailtee archive export`: messages go out in bounded
// chunks (1 MiB), never whole in memory.
//
//   MboxWriter: mboxrd. Each message is preceded by "From <sender> <asctime>"
//     and every line matching /^>*From / gains one more '>', so readers can
//     undo it exactly. Message bytes (CRLF) are otherwise kept as archived.
//   ZipWriter: stored (uncompressed) entries with CRC-32, ZIP64 records when
//     a size, an offset or the entry count needs them (or when forced, for
//     tests). Readable by Python's zipfile, Info-ZIP and libarchive.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "config/status.h"

namespace mailtee::archive {

using ByteSink = std::function<Status(std::string_view)>;

uint32_t Crc32(uint32_t crc, std::string_view data);  // crc starts at 0

class MboxWriter {
 public:
  explicit MboxWriter(ByteSink out) : out_(std::move(out)) {}
  // envelope_from "" -> MAILER-DAEMON.
  Status AddMessage(const std::string& eml_path, const std::string& envelope_from, int64_t time_ms);

 private:
  Status QuoteChunk(std::string_view chunk, std::string* out);
  ByteSink out_;
  bool at_line_start_ = true;
  std::string pending_;  // a line start that may still become ">*From "
};

class ZipWriter {
 public:
  explicit ZipWriter(ByteSink out, bool force_zip64 = false) : out_(std::move(out)), force_zip64_(force_zip64) {}
  // name: the path inside the zip ("tanaka/2026/11/24/ID.eml").
  Status AddFile(const std::string& name, const std::string& path, int64_t time_ms);
  Status Finish();  // writes the central directory
  uint64_t bytes_written() const { return offset_; }

 private:
  struct Entry {
    std::string name;
    uint32_t crc = 0;
    uint64_t size = 0, offset = 0;
    uint16_t dos_time = 0, dos_date = 0;
  };
  Status Write(std::string_view data);
  ByteSink out_;
  bool force_zip64_;
  uint64_t offset_ = 0;
  std::vector<Entry> entries_;  // ~100 bytes per entry for the central directory
};

}  // namespace mailtee::archive
