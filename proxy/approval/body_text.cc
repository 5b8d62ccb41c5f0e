#include "proxy/approval/body_text.h"

#include <cctype>

#include "archive/charset.h"
#include "proxy/smtp/sasl.h"

namespace mailtee::approval {
namespace {

constexpr int kMaxDepth = 4;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

struct Entity {
  std::string type = "text/plain";
  std::string charset = "us-ascii";
  std::string boundary;
  std::string encoding = "7bit";
  std::string_view body;
};

// The value of parameter `name` in a header value ("...; charset=\"utf-8\"").
std::string Param(const std::string& value, const std::string& name) {
  const std::string lower = Lower(value);
  size_t pos = 0;
  while ((pos = lower.find(name + "=", pos)) != std::string::npos) {
    if (pos == 0 || lower[pos - 1] == ';' || lower[pos - 1] == ' ' || lower[pos - 1] == '\t') {
      size_t start = pos + name.size() + 1;
      if (start < value.size() && value[start] == '"') {
        const size_t end = value.find('"', start + 1);
        return value.substr(start + 1, end == std::string::npos ? std::string::npos : end - start - 1);
      }
      const size_t end = value.find_first_of("; \t", start);
      return value.substr(start, end == std::string::npos ? std::string::npos : end - start);
    }
    pos += name.size();
  }
  return "";
}

Entity ParseEntity(std::string_view text) {
  Entity e;
  size_t header_end = text.find("\r\n\r\n");
  size_t skip = 4;
  if (header_end == std::string_view::npos) {
    header_end = text.find("\n\n");
    skip = 2;
  }
  if (header_end == std::string_view::npos) return e;  // no body in the sample
  e.body = text.substr(header_end + skip);
  // Unfold the header, then read the two fields we need.
  std::string header;
  for (size_t i = 0; i < header_end; ++i) {
    if (text[i] == '\r') continue;
    if (text[i] == '\n' && i + 1 < header_end && (text[i + 1] == ' ' || text[i + 1] == '\t')) continue;
    header += text[i];
  }
  size_t pos = 0;
  while (pos <= header.size()) {
    size_t nl = header.find('\n', pos);
    if (nl == std::string::npos) nl = header.size();
    const std::string line = header.substr(pos, nl - pos);
    pos = nl + 1;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string name = Lower(line.substr(0, colon));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front()))) value.erase(0, 1);
    if (name == "content-type") {
      e.type = Lower(value.substr(0, value.find(';')));
      while (!e.type.empty() && std::isspace(static_cast<unsigned char>(e.type.back()))) e.type.pop_back();
      const std::string cs = Param(value, "charset");
      if (!cs.empty()) e.charset = Lower(cs);
      e.boundary = Param(value, "boundary");
    } else if (name == "content-transfer-encoding") {
      e.encoding = Lower(value);
      while (!e.encoding.empty() && std::isspace(static_cast<unsigned char>(e.encoding.back()))) e.encoding.pop_back();
    }
  }
  return e;
}

std::string DecodeQuotedPrintable(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '=') {
      out += in[i];
      continue;
    }
    if (i + 1 < in.size() && (in[i + 1] == '\r' || in[i + 1] == '\n')) {  // soft line break
      i += (in[i + 1] == '\r' && i + 2 < in.size() && in[i + 2] == '\n') ? 2 : 1;
      continue;
    }
    if (i + 2 < in.size() && std::isxdigit(static_cast<unsigned char>(in[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(in[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16));
      i += 2;
      continue;
    }
    out += '=';
  }
  return out;
}

std::string DecodeTransfer(const Entity& e) {
  if (e.encoding == "base64") {
    std::string compact;
    for (char c : e.body) {
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=') compact += c;
    }
    compact.resize(compact.size() / 4 * 4);  // a sample may cut the last quantum
    return smtp::Base64Decode(compact).value_or("");
  }
  if (e.encoding == "quoted-printable") return DecodeQuotedPrintable(e.body);
  return std::string(e.body);
}

// The one converter of the program (archive/charset.h): ISO-2022-JP as
// Outlook writes it (CP50220: NEC row 13 ①, IBM extensions), Shift_JIS as
// CP932, EUC-JP. A byte it cannot read becomes U+FFFD without shifting the
// rest (glibc's ISO-2022-JP-3 alone failed at ① and lost the text after it).
// An unknown charset label keeps the bytes as they are.
std::string ToUtf8(const std::string& charset, const std::string& bytes) {
  if (charset.empty() || charset == "us-ascii" || charset == "utf-8" || charset == "utf8") return bytes;
  std::string out;
  if (!archive::ConvertToUtf8Lossy(charset, bytes, &out)) return bytes;
  return out;
}

bool FindText(std::string_view text, int depth, std::string* out) {
  const Entity e = ParseEntity(text);
  if (e.type.rfind("multipart/", 0) == 0 && !e.boundary.empty() && depth < kMaxDepth) {
    const std::string delim = "--" + e.boundary;
    size_t pos = e.body.find(delim);
    while (pos != std::string_view::npos) {
      size_t start = e.body.find('\n', pos);
      if (start == std::string_view::npos) return false;
      ++start;
      if (e.body.substr(pos + delim.size(), 2) == "--") return false;  // closing delimiter
      const size_t next = e.body.find(delim, start);
      const std::string_view part = e.body.substr(start, next == std::string_view::npos ? std::string_view::npos : next - start);
      if (FindText(part, depth + 1, out)) return true;
      pos = next;
    }
    return false;
  }
  if (e.type != "text/plain") return false;
  *out = ToUtf8(e.charset, DecodeTransfer(e));
  return true;
}

}  // namespace

std::string ExtractBodyText(std::string_view message) {
  std::string text;
  FindText(message, 0, &text);
  return text;
}

}  // namespace mailtee::approval
