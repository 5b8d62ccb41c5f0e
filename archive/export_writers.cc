#include "archive/export_writers.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <ctime>
#include <memory>

namespace mailtee::archive {
namespace {

constexpr size_t kChunk = 1 << 20;
constexpr uint32_t k32 = 0xFFFFFFFFu;

const std::array<uint32_t, 256>& CrcTable() {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  return table;
}

// Reads a file in chunks, handing each to fn.
Status ForEachChunk(const std::string& path, const std::function<Status(std::string_view)>& fn) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::PosixError("open " + path, errno);
  std::unique_ptr<char[]> buf(new char[kChunk]);
  Status s;
  for (;;) {
    ssize_t n = read(fd, buf.get(), kChunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      s = Status::PosixError("read " + path, errno);
      break;
    }
    if (n == 0) break;
    s = fn(std::string_view(buf.get(), static_cast<size_t>(n)));
    if (!s.ok()) break;
  }
  close(fd);
  return s;
}

void Put16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v));
  out->push_back(static_cast<char>(v >> 8));
}
void Put32(std::string* out, uint32_t v) {
  Put16(out, static_cast<uint16_t>(v));
  Put16(out, static_cast<uint16_t>(v >> 16));
}
void Put64(std::string* out, uint64_t v) {
  Put32(out, static_cast<uint32_t>(v));
  Put32(out, static_cast<uint32_t>(v >> 32));
}

void DosTime(int64_t time_ms, uint16_t* dos_time, uint16_t* dos_date) {
  time_t secs = static_cast<time_t>(time_ms / 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  if (tm.tm_year < 80) {  // DOS dates start in 1980
    *dos_time = 0;
    *dos_date = (1 << 5) | 1;
    return;
  }
  *dos_time = static_cast<uint16_t>((tm.tm_hour << 11) | (tm.tm_min << 5) | (tm.tm_sec / 2));
  *dos_date = static_cast<uint16_t>(((tm.tm_year - 80) << 9) | ((tm.tm_mon + 1) << 5) | tm.tm_mday);
}

std::string AscTime(int64_t time_ms) {
  time_t secs = static_cast<time_t>(time_ms / 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[40];
  strftime(buf, sizeof buf, "%a %b %e %H:%M:%S %Y", &tm);
  return buf;
}

}  // namespace

uint32_t Crc32(uint32_t crc, std::string_view data) {
  const auto& t = CrcTable();
  crc = ~crc;
  for (unsigned char c : data) crc = t[(crc ^ c) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

// ---- mbox ----------------------------------------------------------------------

Status MboxWriter::QuoteChunk(std::string_view chunk, std::string* out) {
  static constexpr std::string_view kFrom = "From ";
  for (char c : chunk) {
    if (!at_line_start_) {
      out->push_back(c);
      if (c == '\n') at_line_start_ = true;
      continue;
    }
    // At a line start: pending_ holds '>'* then a prefix of "From ".
    size_t quotes = pending_.find_first_not_of('>');
    if (quotes == std::string::npos) quotes = pending_.size();
    size_t matched = pending_.size() - quotes;
    if (matched == 0 && c == '>' && pending_.size() < 4096) {
      pending_.push_back(c);
    } else if (c == kFrom[matched]) {
      pending_.push_back(c);
      if (matched + 1 == kFrom.size()) {  // a From_ line inside the body: quote it
        out->push_back('>');
        out->append(pending_);
        pending_.clear();
        at_line_start_ = false;
      }
    } else {
      out->append(pending_);
      pending_.clear();
      out->push_back(c);
      at_line_start_ = c == '\n';
    }
  }
  return Status::Ok();
}

Status MboxWriter::AddMessage(const std::string& eml_path, const std::string& envelope_from, int64_t time_ms) {
  std::string sender = envelope_from.empty() ? "MAILER-DAEMON" : envelope_from;
  for (char& c : sender)
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') c = '_';
  Status s = out_("From " + sender + " " + AscTime(time_ms) + "\n");
  if (!s.ok()) return s;
  at_line_start_ = true;
  pending_.clear();
  char last = '\n';
  std::string quoted;
  s = ForEachChunk(eml_path, [&](std::string_view chunk) {
    quoted.clear();
    QuoteChunk(chunk, &quoted);
    if (!chunk.empty()) last = chunk.back();
    return quoted.empty() ? Status::Ok() : out_(quoted);
  });
  if (!s.ok()) return s;
  std::string tail = pending_;
  pending_.clear();
  if (last != '\n') tail += "\n";  // every message ends its last line...
  tail += "\n";                    // ...and a blank line separates it from the next From_
  return out_(tail);
}

// ---- zip -----------------------------------------------------------------------

Status ZipWriter::Write(std::string_view data) {
  offset_ += data.size();
  return out_(data);
}

Status ZipWriter::AddFile(const std::string& name, const std::string& path, int64_t time_ms) {
  Entry e;
  e.name = name;
  e.offset = offset_;
  DosTime(time_ms, &e.dos_time, &e.dos_date);
  // First pass: CRC and size (the local header needs them; no data descriptor
  // keeps the archive readable by streaming unzippers too).
  Status s = ForEachChunk(path, [&](std::string_view chunk) {
    e.crc = Crc32(e.crc, chunk);
    e.size += chunk.size();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  const bool zip64 = force_zip64_ || e.size >= k32;
  std::string h;
  Put32(&h, 0x04034b50);
  Put16(&h, zip64 ? 45 : 20);  // version needed
  Put16(&h, 1 << 11);          // flags: names are UTF-8
  Put16(&h, 0);                // stored
  Put16(&h, e.dos_time);
  Put16(&h, e.dos_date);
  Put32(&h, e.crc);
  Put32(&h, zip64 ? k32 : static_cast<uint32_t>(e.size));
  Put32(&h, zip64 ? k32 : static_cast<uint32_t>(e.size));
  Put16(&h, static_cast<uint16_t>(name.size()));
  Put16(&h, zip64 ? 20 : 0);
  h += name;
  if (zip64) {
    Put16(&h, 0x0001);
    Put16(&h, 16);
    Put64(&h, e.size);
    Put64(&h, e.size);
  }
  s = Write(h);
  if (!s.ok()) return s;
  uint64_t copied = 0;
  s = ForEachChunk(path, [&](std::string_view chunk) {
    copied += chunk.size();
    return Write(chunk);
  });
  if (!s.ok()) return s;
  if (copied != e.size) return Status::Error(path + " changed size while being exported");
  entries_.push_back(std::move(e));
  return Status::Ok();
}

Status ZipWriter::Finish() {
  const uint64_t cd_offset = offset_;
  for (const Entry& e : entries_) {
    const bool big_size = force_zip64_ || e.size >= k32;
    const bool big_offset = force_zip64_ || e.offset >= k32;
    std::string extra;
    if (big_size) {
      Put64(&extra, e.size);
      Put64(&extra, e.size);
    }
    if (big_offset) Put64(&extra, e.offset);
    std::string h;
    Put32(&h, 0x02014b50);
    Put16(&h, (3 << 8) | 45);  // made by: Unix, spec 4.5
    Put16(&h, big_size || big_offset ? 45 : 20);
    Put16(&h, 1 << 11);
    Put16(&h, 0);
    Put16(&h, e.dos_time);
    Put16(&h, e.dos_date);
    Put32(&h, e.crc);
    Put32(&h, big_size ? k32 : static_cast<uint32_t>(e.size));
    Put32(&h, big_size ? k32 : static_cast<uint32_t>(e.size));
    Put16(&h, static_cast<uint16_t>(e.name.size()));
    Put16(&h, static_cast<uint16_t>(extra.empty() ? 0 : extra.size() + 4));
    Put16(&h, 0);                 // comment
    Put16(&h, 0);                 // disk
    Put16(&h, 0);                 // internal attributes
    Put32(&h, 0100644u << 16);    // external: regular file rw-r--r--
    Put32(&h, big_offset ? k32 : static_cast<uint32_t>(e.offset));
    h += e.name;
    if (!extra.empty()) {
      Put16(&h, 0x0001);
      Put16(&h, static_cast<uint16_t>(extra.size()));
      h += extra;
    }
    Status s = Write(h);
    if (!s.ok()) return s;
  }
  const uint64_t cd_size = offset_ - cd_offset, count = entries_.size();
  const bool zip64 = force_zip64_ || count >= 0xFFFF || cd_size >= k32 || cd_offset >= k32;
  std::string t;
  if (zip64) {
    const uint64_t record_offset = offset_;
    Put32(&t, 0x06064b50);
    Put64(&t, 44);  // size of the rest of this record
    Put16(&t, (3 << 8) | 45);
    Put16(&t, 45);
    Put32(&t, 0);
    Put32(&t, 0);
    Put64(&t, count);
    Put64(&t, count);
    Put64(&t, cd_size);
    Put64(&t, cd_offset);
    Put32(&t, 0x07064b50);  // locator
    Put32(&t, 0);
    Put64(&t, record_offset);
    Put32(&t, 1);
  }
  Put32(&t, 0x06054b50);
  Put16(&t, 0);
  Put16(&t, 0);
  Put16(&t, zip64 ? 0xFFFF : static_cast<uint16_t>(count));
  Put16(&t, zip64 ? 0xFFFF : static_cast<uint16_t>(count));
  Put32(&t, zip64 ? k32 : static_cast<uint32_t>(cd_size));
  Put32(&t, zip64 ? k32 : static_cast<uint32_t>(cd_offset));
  Put16(&t, 0);
  return Write(t);
}

}  // namespace mailtee::archive
