#include "proxy/approval/mime_writer.h"

#include <openssl/rand.h>
#include <time.h>

#include <cctype>

#include "proxy/smtp/sasl.h"

namespace mailtee::approval {
namespace {

std::string RandomHex(size_t bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string raw(bytes, '\0');
  RAND_bytes(reinterpret_cast<uint8_t*>(raw.data()), raw.size());
  std::string out;
  for (unsigned char c : raw) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

bool NeedsEncoding(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c > 0x7e) return true;
  }
  return s.find("=?") != std::string_view::npos;
}

}  // namespace

std::string EncodeHeaderText(std::string_view utf8, size_t name_length) {
  if (!NeedsEncoding(utf8) && utf8.size() + name_length <= 76) return std::string(utf8);
  // 45 raw bytes -> 60 base64 characters + 12 for "=?UTF-8?B?" "?=" = 72 <= 75.
  // The first word shares its line with the field name: it gets what is left of 76.
  constexpr size_t kMaxRaw = 45;
  const size_t first_chars = name_length + 12 < 76 ? 76 - name_length - 12 : 0;
  size_t budget = first_chars / 4 * 3;
  std::string out;
  size_t pos = 0;
  if (budget < 3) {
    out = "\r\n";  // the name leaves no room: start on a continuation line
    budget = kMaxRaw;
  }
  bool first = true;
  while (pos < utf8.size()) {
    size_t end = std::min(utf8.size(), pos + budget);
    // Never split a UTF-8 sequence: back up over continuation bytes.
    while (end < utf8.size() && end > pos + 1 && (static_cast<unsigned char>(utf8[end]) & 0xC0) == 0x80) --end;
    if (!first) out += "\r\n ";
    else if (!out.empty()) out += " ";
    first = false;
    out += "=?UTF-8?B?" + smtp::Base64Encode(utf8.substr(pos, end - pos)) + "?=";
    pos = end;
    budget = kMaxRaw;
  }
  return out;
}

std::string Base64Lines(std::string_view bytes) {
  const std::string b64 = smtp::Base64Encode(bytes);
  std::string out;
  for (size_t i = 0; i < b64.size(); i += 76) out += b64.substr(i, 76) + "\r\n";
  return out;
}

std::string RfcDate(std::chrono::system_clock::time_point t) {
  static const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const time_t tt = std::chrono::system_clock::to_time_t(t);
  struct tm tm;
  localtime_r(&tt, &tm);
  const long off = tm.tm_gmtoff / 60;
  char buf[64];
  snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d %c%02ld%02ld", kDays[tm.tm_wday], tm.tm_mday,
           kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+',
           (off < 0 ? -off : off) / 60, (off < 0 ? -off : off) % 60);
  return buf;
}

std::string NewMessageId(const std::string& domain) { return "<" + RandomHex(12) + "@" + domain + ">"; }

std::string NewBoundary() { return "=_mailtee_" + RandomHex(12); }

std::string PercentEncode(std::string_view text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '@') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace mailtee::approval
