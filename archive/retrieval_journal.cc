#include "archive/retrieval_journal.h"

#include <algorithm>

#include "archive/ledger_hash.h"
#include "archive/spool_meta.h"

namespace mailtee::archive {
namespace {

constexpr std::string_view kMarker = "retrieval ";
constexpr size_t kReadChunk = 64 * 1024;

// Fields hold no space or line break, and "-" stands for empty.
std::string EncodeField(std::string_view value) {
  if (value.empty()) return "-";
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (c <= 0x20 || c >= 0x7f || c == '%' || (c == '-' && value.size() == 1)) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

bool DecodeField(std::string_view field, std::string* out) {
  out->clear();
  if (field == "-") return true;
  auto nibble = [](char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
  };
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] != '%') {
      *out += field[i];
      continue;
    }
    if (i + 2 >= field.size()) return false;
    int hi = nibble(field[i + 1]), lo = nibble(field[i + 2]);
    if (hi < 0 || lo < 0) return false;
    *out += static_cast<char>(hi << 4 | lo);
    i += 2;
  }
  return true;
}

// "retrieval <id> <at> <ip> <fnv>" -> the record; false if torn or damaged.
bool ParseRecord(std::string_view line, RetrievalRecord* record) {
  if (line.substr(0, kMarker.size()) != kMarker) return false;
  const size_t sum = line.rfind(' ');
  // The checksum's space must come after the marker's (a line "retrieval <fnv of
  // 'retrieval'>" has no fields: found by the fuzzer).
  if (sum == std::string_view::npos || sum < kMarker.size() || line.size() - sum - 1 != 16) return false;
  const std::string_view text = line.substr(0, sum);
  if (line.substr(sum + 1) != Fnv1a64Hex(text)) return false;
  std::string_view rest = text.substr(kMarker.size());
  std::string fields[3];
  for (int i = 0; i < 3; ++i) {
    const size_t space = rest.find(' ');
    if ((space == std::string_view::npos) != (i == 2)) return false;
    if (!DecodeField(rest.substr(0, space), &fields[i])) return false;
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
  }
  record->retrieval = Retrieval{fields[1], fields[2], fields[0]};
  record->text = std::string(text);
  return true;
}

std::string Chain(const std::string& chain, std::string_view text) {
  return Sha256Hex(chain + "\n" + std::string(text));
}

}  // namespace

// A line that fails may be torn bytes of a crashed append followed by a
// whole record appended after the restart: that record starts at the last marker.
bool ParseRetrievalLine(std::string_view line, RetrievalRecord* record) {
  if (ParseRecord(line, record)) return true;
  const size_t last = line.rfind(kMarker);
  return last != std::string_view::npos && last > 0 && ParseRecord(line.substr(last), record);
}

std::string RetrievalJournalPath(const std::string& report_path) {
  const bool xml = report_path.size() >= 4 && report_path.compare(report_path.size() - 4, 4, ".xml") == 0;
  return (xml ? report_path.substr(0, report_path.size() - 4) : report_path) + std::string(kRetrievalJournalSuffix);
}

std::string SerializeRetrievalRecord(const Retrieval& r) {
  std::string text = std::string(kMarker) + EncodeField(r.id) + " " + EncodeField(r.at) + " " + EncodeField(r.client_ip);
  return text + " " + Fnv1a64Hex(text) + "\n";
}

Status AppendRetrievalRecords(Env* env, const std::string& journal_path, const std::vector<Retrieval>& records,
                              int perms) {
  std::string bytes;
  for (const Retrieval& r : records) bytes += SerializeRetrievalRecord(r);
  std::unique_ptr<WritableFile> file;
  Status s = env->NewWritableFile(journal_path, Env::CreateMode::kAppend, perms, &file);
  if (s.ok()) s = file->Append(bytes);  // one write(2): concurrent readers see whole lines or a partial last one
  // Not close(2)'s error: the record is written, and an error here would make
  // a retried Commit append it a second time. A write-back error surfaces at
  // the writer's sync, which then keeps the spool meta for Recover().
  if (file) file->Close();
  return s;
}

Status ReadRetrievalRecords(Env* env, const std::string& journal_path, uint64_t from, uint64_t limit,
                            std::vector<RetrievalRecord>* records, uint64_t* end) {
  records->clear();
  *end = from;
  if (!FileExists(env, journal_path)) return Status::Ok();
  std::unique_ptr<SequentialFile> file;
  Status s = env->NewSequentialFile(journal_path, &file);
  if (s.ok() && from > 0) s = file->Skip(from);
  std::string pending, chunk;  // pending: bytes after the last complete line
  uint64_t offset = from;      // of pending's first byte
  while (s.ok() && offset + pending.size() < limit) {
    s = file->Read(static_cast<size_t>(std::min<uint64_t>(kReadChunk, limit - offset - pending.size())), &chunk);
    if (!s.ok() || chunk.empty()) break;
    pending += chunk;
    size_t start = 0;
    for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
      RetrievalRecord record;
      if (ParseRetrievalLine(std::string_view(pending).substr(start, nl - start), &record)) records->push_back(std::move(record));
    }
    offset += start;
    pending.erase(0, start);
  }
  if (!s.ok()) return s.WithContext("while reading the retrieval journal " + journal_path);
  *end = offset;
  return Status::Ok();
}

Status FoldRetrievalJournal(Env* env, const std::string& journal_path, uint64_t limit, Report* report,
                            bool* changed) {
  *changed = false;
  FileInfo info;
  Status s = env->Stat(journal_path, &info);
  if (!s.ok()) return s;
  if ((info.exists ? info.size : 0) < report->retrieval_journal_bytes)
    return Status::Error("retrieval journal " + journal_path + " is shorter than its report says (" +
                         std::to_string(report->retrieval_journal_bytes) + " bytes folded); run 'mailtee archive verify'");
  if (!info.exists) return Status::Ok();
  std::vector<RetrievalRecord> records;
  uint64_t end = 0;
  s = ReadRetrievalRecords(env, journal_path, report->retrieval_journal_bytes, std::min(limit, info.size), &records,
                           &end);
  if (!s.ok() || end == report->retrieval_journal_bytes) return s;
  // Before the first fold the report lists its own retrieval first, and
  // possibly more added before journals existed: those were copied to the
  // journal when it was created, so it alone supplies everything after the first.
  const bool first_fold = report->retrieval_journal_bytes == 0;
  std::vector<Retrieval> listed;
  if (!report->retrievals.empty()) {
    if (first_fold) listed.push_back(report->retrievals.front());
    else listed = report->retrievals;
  }
  uint64_t count = first_fold ? listed.size() : report->retrieval_count;
  std::string chain = first_fold ? "" : report->retrieval_journal_chain;
  for (const RetrievalRecord& r : records) {
    listed.push_back(r.retrieval);
    chain = Chain(chain, r.text);
    ++count;
  }
  // The first (the archived copy's own fetch) stays; then the most recent.
  if (listed.size() > kReportListedRetrievals)
    listed.erase(listed.begin() + 1, listed.end() - static_cast<std::ptrdiff_t>(kReportListedRetrievals - 1));
  report->retrievals = std::move(listed);
  report->retrieval_count = count;
  report->retrieval_journal_bytes = end;
  report->retrieval_journal_chain = chain;
  *changed = true;
  return Status::Ok();
}

Status ReadAllRetrievals(Env* env, const std::string& report_path, const Report& report, std::vector<Retrieval>* out) {
  const std::string journal = RetrievalJournalPath(report_path);
  if (!FileExists(env, journal)) {
    *out = report.retrievals;
    return Status::Ok();
  }
  std::vector<RetrievalRecord> records;
  uint64_t end = 0;
  Status s = ReadRetrievalRecords(env, journal, 0, kWholeJournal, &records, &end);
  if (!s.ok()) return s;
  out->clear();
  if (!report.retrievals.empty()) out->push_back(report.retrievals.front());
  for (auto& r : records) out->push_back(std::move(r.retrieval));
  return Status::Ok();
}

Status CheckRetrievalJournal(Env* env, const std::string& journal_path, const std::string& journal_label,
                             const Report& report, std::vector<std::string>* problems) {
  std::vector<RetrievalRecord> records;
  uint64_t end = 0;
  Status s = ReadRetrievalRecords(env, journal_path, 0, report.retrieval_journal_bytes, &records, &end);
  if (!s.ok()) return s;
  if (end != report.retrieval_journal_bytes) {
    problems->push_back(journal_label + ": shorter than its report says (" + std::to_string(end) + " of " +
                        std::to_string(report.retrieval_journal_bytes) + " bytes folded into it)");
    return Status::Ok();
  }
  std::string chain;
  for (const RetrievalRecord& r : records) chain = Chain(chain, r.text);
  if (chain != report.retrieval_journal_chain)
    problems->push_back(journal_label + ": retrievals differ from the chain its report records (edited after archiving)");
  else if (report.retrieval_journal_bytes > 0 && report.retrieval_count != records.size() + 1)
    problems->push_back(journal_label + ": its report counts " + std::to_string(report.retrieval_count) +
                        " retrievals, the journal holds " + std::to_string(records.size() + 1));
  return Status::Ok();
}

}  // namespace mailtee::archive
