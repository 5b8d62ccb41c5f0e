#include "archive/analysis_address.h"

#include "archive/rfc2047.h"

namespace mailtee::archive {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

// Collapses runs of blanks to one space and trims.
std::string CollapseBlanks(std::string_view s) {
  std::string out;
  bool pending_space = false;
  for (char c : s) {
    if (IsBlank(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

// One mailbox's raw text split into its parts, comments and quotes resolved.
struct MailboxParts {
  std::string phrase;    // display name: quoted strings unquoted, atoms as written
  std::string addr;      // inside <...>, or the bare addr-spec
  std::string comment;   // text of the last top-level comment (old "a@b (Name)" style)
  bool angle = false;
};

MailboxParts SplitMailbox(std::string_view s) {
  MailboxParts p;
  std::string outside;  // everything outside <...>, quotes resolved, comments removed
  std::string quoted_marks;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '"') {
      for (++i; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        outside += s[i];
      }
    } else if (c == '(') {
      int depth = 1;
      std::string text;
      for (++i; i < s.size() && depth > 0; ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) { text += s[++i]; continue; }
        if (s[i] == '(') ++depth;
        if (s[i] == ')' && --depth == 0) break;
        text += s[i];
      }
      p.comment = CollapseBlanks(text);
      outside += ' ';
    } else if (c == '<' && !p.angle) {
      p.angle = true;
      size_t end = s.find('>', i + 1);
      std::string_view inside = s.substr(i + 1, end == std::string_view::npos ? std::string_view::npos : end - i - 1);
      // Obsolete source route "<@relay1,@relay2:user@host>": keep the mailbox.
      if (!inside.empty() && inside.front() == '@') {
        size_t colon = inside.find(':');
        if (colon != std::string_view::npos) inside.remove_prefix(colon + 1);
      }
      p.addr = CollapseBlanks(inside);
      if (end == std::string_view::npos) break;
      i = end;
    } else {
      outside += c;
    }
  }
  if (p.angle) p.phrase = CollapseBlanks(outside);
  else p.addr = CollapseBlanks(outside);
  // Blanks inside an addr-spec are folding artefacts ("a @ b"), never meaningful.
  std::string compact;
  for (char c : p.addr) if (c != ' ') compact += c;
  p.addr = compact;
  return p;
}

std::string FormatMailbox(std::string_view raw) {
  MailboxParts p = SplitMailbox(raw);
  std::string name = p.angle ? p.phrase : p.comment;
  name = CollapseBlanks(DecodeHeaderValue(name));
  if (p.addr.empty()) return name;
  if (name.empty()) return p.addr;
  return name + " <" + p.addr + ">";
}

}  // namespace

std::vector<std::string> ParseAddressList(std::string_view value) {
  std::vector<std::string> out;
  size_t start = 0;
  int comment_depth = 0;
  bool in_quote = false, in_angle = false;
  auto flush = [&](size_t end) {
    std::string_view piece = Trim(value.substr(start, end - start));
    if (!piece.empty()) {
      std::string mailbox = FormatMailbox(piece);
      if (!mailbox.empty()) out.push_back(std::move(mailbox));
    }
    start = end + 1;
  };
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (in_quote) {
      if (c == '\\') ++i;
      else if (c == '"') in_quote = false;
      continue;
    }
    if (comment_depth > 0) {
      if (c == '\\') ++i;
      else if (c == '(') ++comment_depth;
      else if (c == ')') --comment_depth;
      continue;
    }
    if (in_angle) {
      if (c == '>') in_angle = false;
      continue;
    }
    switch (c) {
      case '"': in_quote = true; break;
      case '(': comment_depth = 1; break;
      case '<': in_angle = true; break;
      case ',': case ';': flush(i); break;
      case ':': start = i + 1; break;  // group display name: dropped, members follow
      default: break;
    }
  }
  if (start < value.size()) flush(value.size());
  return out;
}

std::string AddrSpecOf(std::string_view mailbox) {
  std::string_view s = Trim(mailbox);
  size_t open = s.rfind('<');
  if (open != std::string_view::npos) {
    size_t close = s.find('>', open);
    s = s.substr(open + 1, close == std::string_view::npos ? std::string_view::npos : close - open - 1);
  }
  return std::string(Trim(s));
}

}  // namespace mailtee::archive
