#include "archive/rfc2047.h"

#include <optional>

#include "archive/charset.h"

namespace mailtee::archive {
namespace {

int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

struct EncodedWord {
  size_t end = 0;           // index just past "?="
  std::string charset;      // without an RFC 2231 "*lang" suffix
  std::string bytes;        // decoded, still in `charset`
};

// Parses "=?charset?E?text?=" at s[pos]; nullopt if malformed. Linear: the
// charset is at most kMaxCharsetName long and the text scan stops at the
// first '?' or blank, so a header full of "=?" costs O(n) overall.
constexpr size_t kMaxCharsetName = 64;

std::optional<EncodedWord> ParseEncodedWord(std::string_view s, size_t pos) {
  if (s.substr(pos, 2) != "=?") return std::nullopt;
  size_t q1 = pos + 2;
  while (q1 < s.size() && q1 - pos - 2 <= kMaxCharsetName && s[q1] != '?') {
    if (IsBlank(s[q1]) || s[q1] == '=') return std::nullopt;
    ++q1;
  }
  if (q1 >= s.size() || s[q1] != '?' || q1 == pos + 2 || q1 + 2 >= s.size() || s[q1 + 2] != '?')
    return std::nullopt;
  std::string_view charset = s.substr(pos + 2, q1 - pos - 2);
  const char enc = s[q1 + 1];
  const size_t text_start = q1 + 3;
  size_t close = text_start;
  while (close < s.size() && s[close] != '?') {
    if (IsBlank(s[close])) return std::nullopt;
    ++close;
  }
  if (close + 1 >= s.size() || s[close + 1] != '=') return std::nullopt;
  std::string_view text = s.substr(text_start, close - text_start);
  EncodedWord w;
  w.end = close + 2;
  size_t star = charset.find('*');
  w.charset = std::string(charset.substr(0, star));
  if (enc == 'B' || enc == 'b') {
    if (!DecodeBase64Strict(text, &w.bytes)) return std::nullopt;
  } else if (enc == 'Q' || enc == 'q') {
    w.bytes = DecodeQEncoding(text);
  } else {
    return std::nullopt;
  }
  return w;
}

bool SameCharset(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

bool DecodeBase64Strict(std::string_view in, std::string* out) {
  out->clear();
  uint32_t acc = 0;
  int bits = 0;
  size_t padding = 0, digits = 0;
  for (char c : in) {
    if (IsBlank(c)) continue;
    if (c == '=') { ++padding; continue; }
    if (padding) return false;  // data after padding
    int v = Base64Value(c);
    if (v < 0) return false;
    ++digits;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return digits % 4 != 1 && padding <= 2;
}

std::string DecodeQEncoding(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '_') {
      out += ' ';
    } else if (c == '=' && i + 2 < in.size() && HexValue(in[i + 1]) >= 0 && HexValue(in[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(in[i + 1]) * 16 + HexValue(in[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::string DecodeHeaderValue(std::string_view raw) {
  const std::string s = RawHeaderToUtf8(raw);
  std::string out;
  // Adjacent encoded-words in one charset are joined before conversion:
  // mailers split multi-byte characters (and ISO-2022-JP shift states)
  // across words.
  std::string pending_charset, pending_bytes, pending_raw;
  auto flush = [&] {
    if (pending_raw.empty()) return;
    std::string text;
    if (ConvertToUtf8Lossy(pending_charset, pending_bytes, &text)) out += text;
    else out += pending_raw;  // unknown charset: keep what was written
    pending_charset.clear();
    pending_bytes.clear();
    pending_raw.clear();
  };
  size_t i = 0;
  bool last_was_word = false;
  while (i < s.size()) {
    if (s[i] == '=' && i + 1 < s.size() && s[i + 1] == '?') {
      if (auto w = ParseEncodedWord(s, i)) {
        if (!pending_raw.empty() && !SameCharset(pending_charset, w->charset)) flush();
        pending_charset = w->charset;
        pending_bytes += w->bytes;
        pending_raw.append(s, i, w->end - i);
        i = w->end;
        last_was_word = true;
        continue;
      }
    }
    if (IsBlank(s[i]) && last_was_word) {
      // Whitespace between two encoded-words is dropped (RFC 2047 6.2).
      size_t j = i;
      while (j < s.size() && IsBlank(s[j])) ++j;
      if (j + 1 < s.size() && s[j] == '=' && s[j + 1] == '?' && ParseEncodedWord(s, j)) {
        i = j;
        continue;
      }
    }
    flush();
    last_was_word = false;
    out += s[i++];
  }
  flush();
  if (!IsValidUtf8(out)) {
    std::string fixed;
    ConvertToUtf8Lossy("UTF-8", out, &fixed);
    return fixed;
  }
  return out;
}

}  // namespace mailtee::archive
