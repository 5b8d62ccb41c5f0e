#include "archive/mime_params.h"

#include <vector>

#include "archive/analysis_header.h"
#include "archive/charset.h"
#include "archive/message_summary.h"

namespace mailtee::archive {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

struct RawParam {
  std::string name;   // lowercased, as written ("filename*0*")
  std::string value;  // unquoted
};

// Splits "type/sub; a=1; b=\"x;y\"" into the value and raw parameters,
// skipping comments.
std::string SplitParams(std::string_view s, std::vector<RawParam>* params) {
  size_t i = 0;
  auto skip_blanks_and_comments = [&] {
    while (i < s.size()) {
      if (IsBlank(s[i])) { ++i; continue; }
      if (s[i] == '(') {
        int depth = 0;
        for (; i < s.size(); ++i) {
          if (s[i] == '\\') { ++i; continue; }
          if (s[i] == '(') ++depth;
          if (s[i] == ')' && --depth == 0) { ++i; break; }
        }
        continue;
      }
      break;
    }
  };
  auto read_token = [&](std::string_view stops) {
    std::string out;
    while (i < s.size() && stops.find(s[i]) == std::string_view::npos && s[i] != '(') out += s[i++];
    while (!out.empty() && IsBlank(out.back())) out.pop_back();
    return out;
  };
  skip_blanks_and_comments();
  std::string value = ToLowerAscii(read_token(";"));
  std::string compact;
  for (char c : value) if (!IsBlank(c)) compact += c;
  while (i < s.size()) {
    if (s[i] != ';') { ++i; continue; }  // junk after a value or comment
    ++i;
    skip_blanks_and_comments();
    std::string name = ToLowerAscii(read_token("=;"));
    skip_blanks_and_comments();
    if (i >= s.size() || s[i] != '=') continue;
    ++i;
    skip_blanks_and_comments();
    std::string v;
    if (i < s.size() && s[i] == '"') {
      for (++i; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        v += s[i];
      }
      if (i < s.size()) ++i;  // closing quote
    } else {
      v = read_token(";");
    }
    if (!name.empty()) params->push_back(RawParam{std::move(name), std::move(v)});
  }
  return compact;
}

}  // namespace

std::string DecodeRfc2231Value(std::string_view ext) {
  size_t q1 = ext.find('\'');
  size_t q2 = q1 == std::string_view::npos ? std::string_view::npos : ext.find('\'', q1 + 1);
  if (q2 == std::string_view::npos) return RawHeaderToUtf8(PercentDecode(ext));
  std::string charset(ext.substr(0, q1));
  std::string bytes = PercentDecode(ext.substr(q2 + 1));
  std::string out;
  if (!charset.empty() && ConvertToUtf8Lossy(charset, bytes, &out)) return out;
  return RawHeaderToUtf8(bytes);
}

MimeHeaderValue ParseMimeHeaderValue(std::string_view raw) {
  // Raw 8-bit names (Outlook's Shift_JIS) become UTF-8 first, so that a
  // Shift_JIS trail byte 0x5C is not taken for a backslash escape.
  const std::string text = RawHeaderToUtf8(raw);
  std::vector<RawParam> raw_params;
  MimeHeaderValue out;
  out.value = SplitParams(text, &raw_params);

  // Group RFC 2231 continuations: base -> segment index -> (value, encoded).
  struct Segment { std::string value; bool encoded = false; bool present = false; };
  std::map<std::string, std::map<int, Segment>> continued;
  std::map<std::string, std::string> extended, plain;
  for (auto& p : raw_params) {
    std::string name = p.name;
    bool encoded = !name.empty() && name.back() == '*';
    if (encoded) name.pop_back();
    size_t star = name.find('*');
    if (star != std::string::npos) {
      std::string_view index_text = std::string_view(name).substr(star + 1);
      int index = 0;
      bool numeric = !index_text.empty() && index_text.size() <= 4;
      for (char c : index_text) {
        if (c < '0' || c > '9') numeric = false;
        else index = index * 10 + (c - '0');
      }
      if (numeric) {
        Segment& seg = continued[name.substr(0, star)][index];
        if (!seg.present) seg = Segment{p.value, encoded, true};
        continue;
      }
    }
    if (encoded) extended.emplace(name, p.value);
    else plain.emplace(name, p.value);
  }
  for (auto& [base, segments] : continued) {
    // Segments are joined in index order; encoded ones contribute
    // percent-decoded bytes in the charset named by segment 0.
    std::string charset, bytes;
    bool first = true, any_encoded = false;
    for (auto& [index, seg] : segments) {
      std::string_view v = seg.value;
      if (seg.encoded) {
        any_encoded = true;
        if (first) {
          size_t q1 = v.find('\''), q2 = q1 == std::string_view::npos ? q1 : v.find('\'', q1 + 1);
          if (q2 != std::string_view::npos) {
            charset = std::string(v.substr(0, q1));
            v.remove_prefix(q2 + 1);
          }
        }
        bytes += PercentDecode(v);
      } else {
        bytes += v;
      }
      first = false;
    }
    std::string decoded;
    if (any_encoded && !charset.empty() && ConvertToUtf8Lossy(charset, bytes, &decoded)) {
      out.params[base] = decoded;
    } else {
      out.params[base] = DecodeHeaderValue(bytes);
    }
  }
  for (auto& [name, v] : extended)
    if (!out.params.count(name)) out.params[name] = DecodeRfc2231Value(v);
  for (auto& [name, v] : plain)
    if (!out.params.count(name)) out.params[name] = DecodeHeaderValue(v);
  return out;
}

}  // namespace mailtee::archive
