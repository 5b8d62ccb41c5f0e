#include "archive/analysis_header.h"

namespace mailtee::archive {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string Trimmed(std::string s) {
  size_t b = 0, e = s.size();
  while (b < e && IsBlank(s[b])) ++b;
  while (e > b && IsBlank(s[e - 1])) --e;
  return s.substr(b, e - b);
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string ToLowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

void HeaderBlock::AddLine(std::string_view line) {
  if (truncated_ || text_.size() + line.size() + 1 > max_bytes_) {
    truncated_ = true;
    return;
  }
  text_.append(line);
  text_ += '\n';
}

std::vector<HeaderField> HeaderBlock::Fields() const {
  std::vector<HeaderField> fields;
  bool current_valid = false;
  size_t pos = 0;
  while (pos < text_.size()) {
    size_t nl = text_.find('\n', pos);
    std::string_view line(text_.data() + pos, nl - pos);
    pos = nl + 1;
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      // Folded continuation: unfolding removes only the line break.
      if (current_valid) fields.back().value.append(line);
      continue;
    }
    size_t colon = line.find(':');
    current_valid = colon != std::string_view::npos && colon > 0;
    if (!current_valid) continue;  // not a field (e.g. an mbox "From " line)
    std::string_view name = line.substr(0, colon);
    while (!name.empty() && IsBlank(name.back())) name.remove_suffix(1);
    fields.push_back(HeaderField{std::string(name), std::string(line.substr(colon + 1))});
  }
  for (auto& f : fields) f.value = Trimmed(std::move(f.value));
  return fields;
}

std::string HeaderBlock::Get(std::string_view name) const {
  for (auto& f : Fields())
    if (EqualsIgnoreCase(f.name, name)) return f.value;
  return "";
}

std::string HeaderBlock::GetAll(std::string_view name, std::string_view separator) const {
  std::string out;
  for (auto& f : Fields()) {
    if (!EqualsIgnoreCase(f.name, name)) continue;
    if (!out.empty()) out += separator;
    out += f.value;
  }
  return out;
}

}  // namespace mailtee::archive
