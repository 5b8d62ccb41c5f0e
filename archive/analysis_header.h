// A message or MIME part header block, accumulated line by line with a byte
// cap, then read as unfolded fields.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mailtee::archive {

struct HeaderField {
  std::string name;   // as written
  std::string value;  // unfolded (line breaks removed), blanks at both ends trimmed, raw bytes
};

class HeaderBlock {
 public:
  explicit HeaderBlock(size_t max_bytes) : max_bytes_(max_bytes) {}

  // One header line's bytes, without its line terminator. Lines past the
  // cap are dropped (and remembered as truncated()).
  void AddLine(std::string_view line);
  bool truncated() const { return truncated_; }
  void Clear() { text_.clear(); truncated_ = false; }

  std::vector<HeaderField> Fields() const;
  // The first field named `name` (case-insensitive), or "".
  std::string Get(std::string_view name) const;
  // All fields named `name`, joined with ", " (for To/Cc given twice).
  std::string GetAll(std::string_view name, std::string_view separator) const;

 private:
  size_t max_bytes_;
  std::string text_;  // lines joined with '\n'
  bool truncated_ = false;
};

bool EqualsIgnoreCase(std::string_view a, std::string_view b);
std::string ToLowerAscii(std::string_view s);

}  // namespace mailtee::archive
