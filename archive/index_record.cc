#include "archive/index_record.h"

#include <ctime>

namespace mailtee::archive {
namespace {

constexpr char kRecordVersion = 1;

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutString(std::string_view s, std::string* out) {
  PutVarint(s.size(), out);
  out->append(s);
}

void PutList(const std::vector<std::string>& list, std::string* out) {
  PutVarint(list.size(), out);
  for (const std::string& s : list) PutString(s, out);
}

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool Varint(uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (in_.empty()) return false;
      unsigned char c = in_[0];
      in_.remove_prefix(1);
      *v |= static_cast<uint64_t>(c & 0x7F) << shift;
      if (!(c & 0x80)) return true;
    }
    return false;
  }
  bool String(std::string* s) {
    uint64_t n;
    if (!Varint(&n) || n > in_.size()) return false;
    s->assign(in_.substr(0, n));
    in_.remove_prefix(n);
    return true;
  }
  bool List(std::vector<std::string>* list) {
    uint64_t n;
    if (!Varint(&n) || n > in_.size()) return false;  // each item takes at least a byte
    list->resize(n);
    for (std::string& s : *list)
      if (!String(&s)) return false;
    return true;
  }
  bool done() const { return in_.empty(); }

 private:
  std::string_view in_;
};

int Digits(std::string_view s, size_t pos, size_t n, bool* ok) {
  int v = 0;
  if (pos + n > s.size()) {
    *ok = false;
    return 0;
  }
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') {
      *ok = false;
      return 0;
    }
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = c - 'A' + 'a';
  return out;
}

}  // namespace

IndexRecord RecordFromReport(const Report& report, const std::string& eml_path,
                             const std::string& report_path, const std::string& report_sha256_hex) {
  IndexRecord r;
  r.id = report.id;
  r.user = report.user;
  r.direction = report.direction;
  r.protocol = report.protocol;
  r.received_at = report.received_at;
  r.time_ms = MessageTimeMs(report.received_at, report.id);
  r.envelope_from = report.envelope_from;
  r.envelope_to = report.envelope_to;
  r.from = report.summary.from;
  r.to = report.summary.to;
  r.cc = report.summary.cc;
  r.subject = report.summary.subject;
  r.message_id = report.summary.message_id;
  r.size = report.summary.size;
  r.sha256_hex = report.summary.sha256_hex;
  r.attachment_count = static_cast<uint32_t>(report.summary.attachments.size());
  r.outcome = report.outcome;
  r.eml_path = eml_path;
  r.report_path = report_path;
  r.report_sha256_hex = report_sha256_hex;
  return r;
}

std::string EncodeRecord(const IndexRecord& r) {
  std::string out;
  out.push_back(kRecordVersion);
  for (const std::string* s : {&r.id, &r.user, &r.direction, &r.protocol, &r.received_at})
    PutString(*s, &out);
  PutVarint(static_cast<uint64_t>(r.time_ms), &out);
  PutString(r.envelope_from, &out);
  for (const auto* list : {&r.envelope_to, &r.from, &r.to, &r.cc}) PutList(*list, &out);
  PutString(r.subject, &out);
  PutString(r.message_id, &out);
  PutVarint(r.size, &out);
  PutString(r.sha256_hex, &out);
  PutVarint(r.attachment_count, &out);
  for (const std::string* s : {&r.outcome, &r.eml_path, &r.report_path, &r.report_sha256_hex})
    PutString(*s, &out);
  return out;
}

Status DecodeRecord(std::string_view bytes, IndexRecord* r) {
  if (bytes.empty() || bytes[0] != kRecordVersion)
    return Status::Error("index record has an unknown version (run 'mailtee archive reindex')");
  Reader in(bytes.substr(1));
  uint64_t time_ms = 0, size = 0, attachments = 0;
  bool ok = in.String(&r->id) && in.String(&r->user) && in.String(&r->direction) &&
            in.String(&r->protocol) && in.String(&r->received_at) && in.Varint(&time_ms) &&
            in.String(&r->envelope_from) && in.List(&r->envelope_to) && in.List(&r->from) &&
            in.List(&r->to) && in.List(&r->cc) && in.String(&r->subject) && in.String(&r->message_id) &&
            in.Varint(&size) && in.String(&r->sha256_hex) && in.Varint(&attachments) &&
            in.String(&r->outcome) && in.String(&r->eml_path) && in.String(&r->report_path) &&
            in.String(&r->report_sha256_hex) && in.done();
  if (!ok) return Status::Error("index record is corrupt (run 'mailtee archive reindex')");
  r->time_ms = static_cast<int64_t>(time_ms);
  r->size = size;
  r->attachment_count = static_cast<uint32_t>(attachments);
  return Status::Ok();
}

bool ParseIsoTimeMs(std::string_view s, int64_t* ms) {
  // YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM|-HH:MM]
  bool ok = true;
  struct tm tm = {};
  tm.tm_year = Digits(s, 0, 4, &ok) - 1900;
  tm.tm_mon = Digits(s, 5, 2, &ok) - 1;
  tm.tm_mday = Digits(s, 8, 2, &ok);
  tm.tm_hour = Digits(s, 11, 2, &ok);
  tm.tm_min = Digits(s, 14, 2, &ok);
  tm.tm_sec = Digits(s, 17, 2, &ok);
  if (!ok || s.size() < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
      s[13] != ':' || s[16] != ':')
    return false;
  size_t pos = 19;
  int64_t frac_ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 3) frac_ms = frac_ms * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    for (; digits < 3; ++digits) frac_ms *= 10;
  }
  int64_t offset_s = 0;
  if (pos < s.size() && s[pos] == 'Z') {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int sign = s[pos] == '-' ? -1 : 1;
    int hh = Digits(s, pos + 1, 2, &ok);
    size_t mm_pos = pos + 3 < s.size() && s[pos + 3] == ':' ? pos + 4 : pos + 3;
    int mm = Digits(s, mm_pos, 2, &ok);
    if (!ok) return false;
    offset_s = sign * (hh * 3600 + mm * 60);
    pos = mm_pos + 2;
  }
  if (pos != s.size()) return false;
  int64_t secs = static_cast<int64_t>(timegm(&tm)) - offset_s;
  *ms = secs * 1000 + frac_ms;
  return true;
}

int64_t MessageTimeMs(const std::string& received_at, const std::string& id) {
  int64_t ms = 0;
  if (ParseIsoTimeMs(received_at, &ms)) return ms;
  // "20261124T162024Z" -> "2026-11-24T16:20:24Z"
  if (id.size() >= 16 && id[8] == 'T' && id[15] == 'Z') {
    std::string iso = id.substr(0, 4) + "-" + id.substr(4, 2) + "-" + id.substr(6, 2) + "T" +
                      id.substr(9, 2) + ":" + id.substr(11, 2) + ":" + id.substr(13, 2) + "Z";
    if (ParseIsoTimeMs(iso, &ms)) return ms;
  }
  return 0;
}

std::string FormatUtcTime(int64_t ms) {
  time_t secs = static_cast<time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string NormalizeAddress(std::string_view mailbox) {
  size_t open = mailbox.rfind('<');
  if (open != std::string_view::npos) {
    size_t close = mailbox.find('>', open);
    mailbox = mailbox.substr(open + 1, close == std::string_view::npos ? std::string_view::npos : close - open - 1);
  }
  while (!mailbox.empty() && (mailbox.front() == ' ' || mailbox.front() == '\t')) mailbox.remove_prefix(1);
  while (!mailbox.empty() && (mailbox.back() == ' ' || mailbox.back() == '\t')) mailbox.remove_suffix(1);
  std::string out = AsciiLower(mailbox);
  std::erase(out, '\0');
  return out;
}

std::string AddressDomain(std::string_view address) {
  size_t at = address.rfind('@');
  if (at == std::string_view::npos) return "";
  return AsciiLower(address.substr(at + 1));
}

}  // namespace mailtee::archive
