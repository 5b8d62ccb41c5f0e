#include "proxy/smtp/reply.h"

#include <cctype>

namespace mailtee::smtp {

std::string Reply::ToWire() const {
  std::string out;
  std::string code_text = std::to_string(code);
  for (size_t i = 0; i < lines.size(); ++i) {
    out += code_text;
    out += i + 1 < lines.size() ? '-' : ' ';
    out += lines[i];
    out += "\r\n";
  }
  if (lines.empty()) out = code_text + " \r\n";
  return out;
}

std::string Reply::Text() const {
  std::string out = std::to_string(code);
  for (size_t i = 0; i < lines.size(); ++i) {
    out += i == 0 ? " " : "\n";
    out += lines[i];
  }
  return out;
}

std::string Reply::EnhancedCode() const {
  if (lines.empty()) return "";
  const std::string& t = lines[0];
  // class "." subject "." detail; class is 2, 4 or 5 and matches the reply class.
  size_t i = 0;
  auto digits = [&](size_t max) {
    size_t start = i;
    while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i])) && i - start < max) ++i;
    return i - start;
  };
  if (digits(1) != 1 || i >= t.size() || t[i] != '.') return "";
  ++i;
  if (digits(3) == 0 || i >= t.size() || t[i] != '.') return "";
  ++i;
  if (digits(3) == 0) return "";
  if (i < t.size() && t[i] != ' ') return "";
  if (t[0] - '0' != klass()) return "";
  return t.substr(0, i);
}

Reply MakeReply(std::string_view line) {
  Reply r;
  r.code = 0;
  for (size_t i = 0; i < 3 && i < line.size(); ++i) r.code = r.code * 10 + (line[i] - '0');
  r.lines.emplace_back(line.size() > 4 ? line.substr(4) : std::string_view());
  return r;
}

void ReplyParser::Reset() {
  line_.clear();
  saw_cr_ = false;
  pending_ = Reply();
}

Status ReplyParser::Feed(std::string_view input, size_t* consumed, bool* complete, Reply* reply) {
  *complete = false;
  size_t i = 0;
  while (i < input.size()) {
    char c = input[i++];
    if (saw_cr_) {
      saw_cr_ = false;
      if (c != '\n') {
        // Bare CR inside a reply line: keep it as text, the line continues.
        line_.push_back('\r');
      } else {
        Status s = TakeLine(complete, reply);
        if (!s.ok() || *complete) {
          *consumed = i;
          return s;
        }
        continue;
      }
    }
    if (c == '\r') {
      saw_cr_ = true;
    } else if (c == '\n') {
      // Tolerate bare LF from the provider: it only ends its own reply line.
      Status s = TakeLine(complete, reply);
      if (!s.ok() || *complete) {
        *consumed = i;
        return s;
      }
    } else {
      if (line_.size() >= kMaxLine) {
        *consumed = i;
        return Status::Error("provider reply line longer than " + std::to_string(kMaxLine) + " bytes");
      }
      line_.push_back(c);
    }
  }
  *consumed = i;
  return Status::Ok();
}

Status ReplyParser::TakeLine(bool* complete, Reply* reply) {
  std::string line;
  line.swap(line_);
  if (line.size() < 3 || !std::isdigit(static_cast<unsigned char>(line[0])) ||
      !std::isdigit(static_cast<unsigned char>(line[1])) || !std::isdigit(static_cast<unsigned char>(line[2])) ||
      line[0] < '2' || line[0] > '5' || (line.size() > 3 && line[3] != ' ' && line[3] != '-')) {
    std::string shown = line.substr(0, 80);
    for (char& ch : shown)
      if (static_cast<unsigned char>(ch) < 0x20) ch = '?';
    return Status::Error("malformed provider reply line \"" + shown + "\"");
  }
  int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  if (!pending_.lines.empty() && code != pending_.code) {
    return Status::Error("provider reply code changed from " + std::to_string(pending_.code) + " to " +
                         std::to_string(code) + " inside one multi-line reply");
  }
  if (pending_.lines.size() >= kMaxLines) {
    return Status::Error("provider reply has more than " + std::to_string(kMaxLines) + " lines");
  }
  pending_.code = code;
  pending_.lines.push_back(line.size() > 4 ? line.substr(4) : std::string());
  bool last = line.size() == 3 || line[3] == ' ';
  if (last) {
    *reply = std::move(pending_);
    pending_ = Reply();
    *complete = true;
  }
  return Status::Ok();
}

}  // namespace mailtee::smtp
