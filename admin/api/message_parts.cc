#include "admin/api/message_parts.h"

#include "archive/analysis_header.h"
#include "archive/charset.h"
#include "archive/message_summary.h"
#include "archive/mime_params.h"
#include "archive/rfc2047.h"

namespace mailtee::admin {
namespace {

constexpr size_t kMaxHeaderBytes = 256 << 10;

struct Entity {
  archive::MimeHeaderValue type, disposition;
  std::string transfer_encoding;
  size_t body_begin = 0;
};

// Reads the header block starting at `begin`; the body starts after the
// first empty line (or at `end` when there is none).
Entity ReadEntity(std::string_view msg, size_t begin, size_t end, std::string_view default_type) {
  archive::HeaderBlock header(kMaxHeaderBytes);
  size_t pos = begin;
  while (pos < end) {
    size_t nl = msg.find('\n', pos);
    if (nl == std::string_view::npos || nl >= end) nl = end;
    std::string_view line = msg.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = nl < end ? nl + 1 : end;
    if (line.empty()) break;
    header.AddLine(line);
  }
  Entity e;
  e.body_begin = pos;
  const std::string ct = header.Get("Content-Type");
  e.type = archive::ParseMimeHeaderValue(ct.empty() ? std::string(default_type) : ct);
  if (e.type.value.find('/') == std::string::npos) e.type = archive::ParseMimeHeaderValue(default_type);
  e.disposition = archive::ParseMimeHeaderValue(header.Get("Content-Disposition"));
  e.transfer_encoding = archive::ToLowerAscii(header.Get("Content-Transfer-Encoding"));
  return e;
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

void Walk(std::string_view msg, size_t begin, size_t end, std::string_view default_type, size_t depth,
          std::vector<MessagePart>* out) {
  if (out->size() >= kMaxMessageParts) return;
  Entity e = ReadEntity(msg, begin, end, default_type);
  const std::string boundary = e.type.Param("boundary");
  if (StartsWith(e.type.value, "multipart/") && !boundary.empty() && depth < kMaxMimeDepth) {
    const std::string delimiter = "--" + boundary;
    const std::string child_default = e.type.value == "multipart/digest" ? "message/rfc822" : "text/plain";
    size_t part_start = std::string_view::npos;  // body start of the current child
    size_t pos = e.body_begin;
    while (pos < end) {
      size_t nl = msg.find('\n', pos);
      size_t line_end = nl == std::string_view::npos || nl >= end ? end : nl;
      std::string_view line = msg.substr(pos, line_end - pos);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (StartsWith(line, delimiter)) {
        std::string_view rest = line.substr(delimiter.size());
        const bool close = StartsWith(rest, "--");
        if (close) rest.remove_prefix(2);
        if (rest.find_first_not_of(" \t") == std::string_view::npos) {
          // The line break before a delimiter belongs to the delimiter.
          if (part_start != std::string_view::npos) {
            size_t part_end = pos;
            if (part_end > part_start && msg[part_end - 1] == '\n') --part_end;
            if (part_end > part_start && msg[part_end - 1] == '\r') --part_end;
            Walk(msg, part_start, std::max(part_end, part_start), child_default, depth + 1, out);
          }
          if (close) return;
          part_start = line_end < end ? line_end + 1 : end;
        }
      }
      pos = line_end < end ? line_end + 1 : end;
    }
    if (part_start != std::string_view::npos && part_start < end) {  // no close delimiter: tolerated
      Walk(msg, part_start, end, child_default, depth + 1, out);
    }
    return;
  }
  MessagePart part;
  part.index = static_cast<int>(out->size());
  part.content_type = e.type.value;
  part.charset = archive::ToLowerAscii(e.type.Param("charset"));
  part.filename = e.disposition.Param("filename");
  if (part.filename.empty()) part.filename = e.type.Param("name");
  part.transfer_encoding = e.transfer_encoding;
  part.attachment = e.disposition.value == "attachment" || !part.filename.empty();
  part.body_begin = e.body_begin;
  part.body_end = std::max(end, e.body_begin);
  out->push_back(std::move(part));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string DecodeQuotedPrintable(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c != '=') {
      out.push_back(c);
      continue;
    }
    // Soft line break: "=\r\n" or "=\n" (trailing blanks before it allowed).
    size_t j = i + 1;
    while (j < in.size() && (in[j] == ' ' || in[j] == '\t')) ++j;
    if (j < in.size() && in[j] == '\n') { i = j; continue; }
    if (j + 1 < in.size() && in[j] == '\r' && in[j + 1] == '\n') { i = j + 1; continue; }
    int hi = i + 1 < in.size() ? HexValue(in[i + 1]) : -1;
    int lo = i + 2 < in.size() ? HexValue(in[i + 2]) : -1;
    if (hi >= 0 && lo >= 0) {
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back('=');  // malformed: kept as is
    }
  }
  return out;
}

std::string DecodeBase64Lenient(std::string_view in) {
  std::string clean;
  clean.reserve(in.size());
  for (char c : in) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/') {
      clean.push_back(c);
    }
  }
  if (clean.size() % 4 == 1) clean.pop_back();  // an impossible tail: drop it, keep the rest
  std::string out;
  if (!archive::DecodeBase64Strict(clean, &out)) out.clear();
  return out;
}

}  // namespace

std::vector<MessagePart> ListMessageParts(std::string_view message) {
  std::vector<MessagePart> parts;
  Walk(message, 0, message.size(), "text/plain", 0, &parts);
  return parts;
}

std::string DecodePartBody(std::string_view message, const MessagePart& part) {
  std::string_view raw = message.substr(part.body_begin, part.body_end - part.body_begin);
  if (part.transfer_encoding == "base64") return DecodeBase64Lenient(raw);
  if (part.transfer_encoding == "quoted-printable") return DecodeQuotedPrintable(raw);
  return std::string(raw);
}

std::string PartTextUtf8(std::string_view message, const MessagePart& part) {
  const std::string bytes = DecodePartBody(message, part);
  std::string out;
  if (!part.charset.empty() && part.charset != "us-ascii" && part.charset != "utf-8" &&
      archive::ConvertToUtf8Lossy(part.charset, bytes, &out)) {
    return out;
  }
  if (archive::IsValidUtf8(bytes)) return bytes;
  // Undeclared 8-bit text: the header heuristics (EUC-JP, CP932, Latin-1) fit bodies too.
  return archive::RawHeaderToUtf8(bytes);
}

std::string PartViewKind(const MessagePart& part) {
  if (part.content_type == "text/html") return part.attachment ? "" : "html";
  if (StartsWith(part.content_type, "text/") && !part.attachment) return "text";
  return "";
}

}  // namespace mailtee::admin
