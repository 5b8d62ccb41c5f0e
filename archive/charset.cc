#include "archive/charset.h"

#include <iconv.h>

#include <cerrno>
#include <cstdint>
#include <vector>

namespace mailtee::archive {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// The iconv names to try, best first, for a MIME charset name.
std::vector<std::string> IconvNamesFor(std::string_view mime_charset) {
  const std::string c = Lower(mime_charset);
  if (c == "shift_jis" || c == "shift-jis" || c == "sjis" || c == "x-sjis" || c == "windows-31j" ||
      c == "cp932" || c == "ms932" || c == "ms_kanji" || c == "csshiftjis" || c == "x-ms-cp932")
    return {"CP932"};
  if (c == "euc-jp" || c == "x-euc-jp" || c == "eucjp" || c == "cseucpkdfmtjapanese") return {"EUC-JP", "EUC-JP-MS"};
  if (c == "gb2312" || c == "gbk" || c == "x-gbk" || c == "cp936" || c == "euc-cn" || c == "csgb2312") return {"GBK", "GB18030"};
  if (c == "euc-kr" || c == "ks_c_5601-1987" || c == "cp949" || c == "ks_c_5601" || c == "x-windows-949") return {"CP949"};
  if (c == "big5" || c == "x-big5" || c == "cn-big5") return {"BIG5", "BIG5-HKSCS"};
  // Like browsers, read Latin-1 and ASCII labels as windows-1252: mailers
  // mislabel 0x80-0x9F (curly quotes, euro) far more often than they use C1 controls.
  if (c == "iso-8859-1" || c == "latin1" || c == "us-ascii" || c == "ascii" || c == "iso_8859-1")
    return {"WINDOWS-1252", "ISO-8859-1"};
  if (c == "utf8") return {"UTF-8"};
  if (c.empty()) return {};
  return {std::string(mime_charset)};
}

class Iconv {
 public:
  explicit Iconv(const std::string& from) : cd_(iconv_open("UTF-8", from.c_str())) {}
  ~Iconv() { if (ok()) iconv_close(cd_); }
  Iconv(const Iconv&) = delete;
  Iconv& operator=(const Iconv&) = delete;
  bool ok() const { return cd_ != reinterpret_cast<iconv_t>(-1); }

  // Converts all of `bytes`; on bad input either fails (strict) or writes
  // U+FFFD and skips a byte.
  bool Run(std::string_view bytes, bool lossy, std::string* out) {
    out->clear();
    char* in = const_cast<char*>(bytes.data());
    size_t in_left = bytes.size();
    char buf[4096];
    while (true) {
      char* o = buf;
      size_t o_left = sizeof buf;
      size_t r = in_left ? iconv(cd_, &in, &in_left, &o, &o_left) : iconv(cd_, nullptr, nullptr, &o, &o_left);
      out->append(buf, o - buf);
      if (r != static_cast<size_t>(-1)) {
        if (in_left == 0) {
          // Flush the shift state once more to be sure nothing is pending.
          o = buf;
          o_left = sizeof buf;
          iconv(cd_, nullptr, nullptr, &o, &o_left);
          out->append(buf, o - buf);
          return true;
        }
        continue;
      }
      if (errno == E2BIG) continue;
      if (!lossy) return false;
      // EILSEQ or EINVAL (truncated sequence at the end).
      *out += kReplacement;
      ++in;
      --in_left;
      if (in_left == 0) return true;
    }
  }

 private:
  iconv_t cd_;
};

bool RunIconv(const std::string& name, std::string_view bytes, bool lossy, std::string* out) {
  Iconv cv(name);
  return cv.ok() && cv.Run(bytes, lossy, out);
}

// ISO-2022-JP re-coded as CP932 bytes by the JIS -> Shift_JIS arithmetic, so
// that the Microsoft extensions (NEC row 13: ①, Ⅰ; IBM rows 89-92) that
// Outlook puts into "ISO-2022-JP" (really CP50221) convert. Also handles
// ESC ( I half-width katakana. False if the input is not ISO-2022-JP-shaped.
bool Iso2022JpToCp932Bytes(std::string_view in, std::string* out) {
  enum class Set { kAscii, kKanji, kKana } set = Set::kAscii;
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    const uint8_t c = static_cast<uint8_t>(in[i]);
    if (c == 0x1B) {
      std::string_view esc = in.substr(i + 1, 2);
      if (esc == "$B" || esc == "$@") set = Set::kKanji;
      else if (esc == "(B" || esc == "(J") set = Set::kAscii;
      else if (esc == "(I") set = Set::kKana;
      else return false;
      i += 2;
      continue;
    }
    if (c == 0x0E) { set = Set::kKana; continue; }   // SO (CP50222 style)
    if (c == 0x0F) { set = Set::kAscii; continue; }  // SI
    if (c >= 0x80) return false;
    if (c == '\r' || c == '\n') { set = Set::kAscii; *out += static_cast<char>(c); continue; }
    switch (set) {
      case Set::kAscii: *out += static_cast<char>(c); break;
      case Set::kKana:
        if (c < 0x21 || c > 0x5F) return false;
        *out += static_cast<char>(c + 0x80);
        break;
      case Set::kKanji: {
        if (i + 1 >= in.size()) return false;
        const uint8_t c2 = static_cast<uint8_t>(in[++i]);
        if (c < 0x21 || c > 0x7E || c2 < 0x21 || c2 > 0x7E) return false;
        const uint8_t s1 = static_cast<uint8_t>(((c + 1) >> 1) + (c <= 0x5E ? 0x70 : 0xB0));
        const uint8_t s2 = static_cast<uint8_t>(c2 + ((c & 1) ? (c2 >= 0x60 ? 0x20 : 0x1F) : 0x7E));
        *out += static_cast<char>(s1);
        *out += static_cast<char>(s2);
        break;
      }
    }
  }
  return true;
}

bool ConvertIso2022Jp(std::string_view bytes, bool lossy, std::string* out) {
  if (RunIconv("ISO-2022-JP", bytes, false, out)) return true;
  std::string sjis;
  if (Iso2022JpToCp932Bytes(bytes, &sjis) && RunIconv("CP932", sjis, false, out)) return true;
  if (RunIconv("ISO-2022-JP-3", bytes, false, out)) return true;
  if (!lossy) return false;
  if (Iso2022JpToCp932Bytes(bytes, &sjis)) return RunIconv("CP932", sjis, true, out);
  return RunIconv("ISO-2022-JP", bytes, true, out);
}

bool Convert(std::string_view charset, std::string_view bytes, bool lossy, std::string* out) {
  const std::string c = Lower(charset);
  if (c == "iso-2022-jp" || c == "csiso2022jp" || c == "iso-2022-jp-ms" || c == "cp50220" || c == "cp50221" ||
      c == "cp50222")
    return ConvertIso2022Jp(bytes, lossy, out);
  if (c == "utf-8" || c == "utf8") {
    if (IsValidUtf8(bytes)) { out->assign(bytes); return true; }
    return lossy && RunIconv("UTF-8", bytes, true, out);
  }
  std::vector<std::string> names = IconvNamesFor(charset);
  for (const auto& name : names)
    if (RunIconv(name, bytes, false, out)) return true;
  if (!lossy) return false;
  for (const auto& name : names)
    if (RunIconv(name, bytes, true, out)) return true;
  return false;
}

bool IsAscii(std::string_view s) {
  for (char c : s)
    if (static_cast<uint8_t>(c) >= 0x80) return false;
  return true;
}

// glibc's EUC-JP passes 0x80-0x9F through as C1 controls; real EUC-JP text
// uses only 0x8E/0x8F (single shifts) from that range.
bool NoC1Bytes(std::string_view s) {
  for (char ch : s) {
    const uint8_t c = static_cast<uint8_t>(ch);
    if (c >= 0x80 && c <= 0xA0 && c != 0x8E && c != 0x8F) return false;
  }
  return true;
}

}  // namespace

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const uint8_t lead = static_cast<uint8_t>(s[i]);
    size_t len;
    uint32_t min, cp;
    if (lead < 0x80) { ++i; continue; }
    if (lead >= 0xC2 && lead <= 0xDF) { len = 2; min = 0x80; cp = lead & 0x1F; }
    else if (lead >= 0xE0 && lead <= 0xEF) { len = 3; min = 0x800; cp = lead & 0x0F; }
    else if (lead >= 0xF0 && lead <= 0xF4) { len = 4; min = 0x10000; cp = lead & 0x07; }
    else return false;
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      const uint8_t b = static_cast<uint8_t>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

bool ConvertToUtf8(std::string_view charset, std::string_view bytes, std::string* out) {
  std::string result;
  if (!Convert(charset, bytes, false, &result)) return false;
  *out = std::move(result);
  return true;
}

bool ConvertToUtf8Lossy(std::string_view charset, std::string_view bytes, std::string* out) {
  std::string result;
  if (!Convert(charset, bytes, true, &result)) {
    out->clear();
    return false;
  }
  *out = std::move(result);
  return true;
}

std::string RawHeaderToUtf8(std::string_view bytes) {
  const bool has_escape = bytes.find('\x1b') != std::string_view::npos;
  std::string out;
  if (IsAscii(bytes)) {
    if (has_escape && ConvertIso2022Jp(bytes, true, &out)) return out;
    return std::string(bytes);
  }
  if (IsValidUtf8(bytes)) return std::string(bytes);
  // EUC-JP first: its text (bytes 0xA1-0xFE in pairs) is also valid CP932
  // half-width katakana, while CP932 Japanese almost always has lead bytes
  // 0x81-0x9F that EUC-JP rejects.
  if (NoC1Bytes(bytes) && RunIconv("EUC-JP", bytes, false, &out)) return out;
  if (RunIconv("CP932", bytes, false, &out)) return out;
  RunIconv("ISO-8859-1", bytes, true, &out);
  return out;
}

}  // namespace mailtee::archive
