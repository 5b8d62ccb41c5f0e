#include "admin/api/html_sanitizer.h"

#include <algorithm>
#include <array>

#include "archive/analysis_header.h"

namespace mailtee::admin {
namespace {

using archive::ToLowerAscii;

// Removed with everything up to their end tag.
constexpr std::array<std::string_view, 13> kDropWithContent = {
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "noscript",
    "template", "noembed", "noframes", "xmp", "plaintext"};
// Removed, their content kept.
constexpr std::array<std::string_view, 11> kDropTag = {"base", "link", "meta", "form", "input", "button",
                                                       "select", "textarea", "portal", "audio", "video"};
// Attributes that load or navigate.
constexpr std::array<std::string_view, 14> kUrlAttributes = {
    "src", "href", "srcset", "background", "action", "formaction", "poster", "data", "codebase",
    "cite", "longdesc", "lowsrc", "dynsrc", "xlink:href"};

template <size_t N>
bool In(const std::array<std::string_view, N>& set, std::string_view name) {
  return std::find(set.begin(), set.end(), name) != set.end();
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }
bool IsNameChar(char c) { return !IsSpace(c) && c != '>' && c != '/' && c != '=' && c != '<'; }

struct Attribute {
  std::string name;  // lowercased
  std::string value;
  bool has_value = false;
};

struct Tag {
  std::string name;  // lowercased
  bool closing = false;
  bool self_closing = false;
  std::vector<Attribute> attributes;
  size_t end = 0;  // index after '>'
  bool complete = false;  // false: the input ended inside the tag
};

// Parses the tag at html[pos] == '<'; false if it is not a tag (a stray '<').
bool ParseTag(std::string_view html, size_t pos, Tag* tag) {
  size_t i = pos + 1;
  if (i < html.size() && html[i] == '/') {
    tag->closing = true;
    ++i;
  }
  size_t name_start = i;
  while (i < html.size() && IsNameChar(html[i])) ++i;
  if (i == name_start) return false;
  const char first = html[name_start];
  if (!((first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z'))) return false;
  tag->name = ToLowerAscii(html.substr(name_start, i - name_start));
  while (i < html.size()) {
    while (i < html.size() && (IsSpace(html[i]) || html[i] == '/')) {
      if (html[i] == '/') tag->self_closing = true;
      ++i;
    }
    if (i >= html.size()) break;
    if (html[i] == '>') {
      tag->end = i + 1;
      tag->complete = true;
      return true;
    }
    tag->self_closing = false;
    Attribute a;
    size_t n = i;
    while (i < html.size() && IsNameChar(html[i])) ++i;
    if (i == n) {  // '=' or '<' where a name should be: skip it
      ++i;
      continue;
    }
    a.name = ToLowerAscii(html.substr(n, i - n));
    while (i < html.size() && IsSpace(html[i])) ++i;
    if (i < html.size() && html[i] == '=') {
      ++i;
      while (i < html.size() && IsSpace(html[i])) ++i;
      a.has_value = true;
      if (i < html.size() && (html[i] == '"' || html[i] == '\'')) {
        char q = html[i++];
        size_t close = html.find(q, i);
        if (close == std::string_view::npos) close = html.size();
        a.value = std::string(html.substr(i, close - i));
        i = close + 1;
      } else {
        size_t v = i;
        while (i < html.size() && !IsSpace(html[i]) && html[i] != '>') ++i;
        a.value = std::string(html.substr(v, i - v));
      }
    }
    tag->attributes.push_back(std::move(a));
  }
  tag->end = html.size();  // unterminated tag at the end: dropped whole
  return true;
}

std::string EscapeAttribute(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '"') out += "&quot;";
    else if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else out.push_back(c);
  }
  return out;
}

bool SafeUrl(const Attribute& a) {
  std::string v;
  for (char c : a.value)
    if (!IsSpace(c)) v.push_back(c);
  v = ToLowerAscii(v);
  if (a.name == "href") return !v.empty() && v[0] == '#';
  if (a.name == "src") return v.rfind("data:image/", 0) == 0 && v.find("svg") == std::string::npos;
  return false;
}

std::string RenderTag(const Tag& tag) {
  std::string out = "<" + std::string(tag.closing ? "/" : "") + tag.name;
  if (!tag.closing) {
    for (const Attribute& a : tag.attributes) {
      if (a.name.rfind("on", 0) == 0) continue;  // event handlers
      if (In(kUrlAttributes, a.name) && !SafeUrl(a)) continue;
      if (a.name == "http-equiv" || a.name == "formaction" || a.name == "srcdoc") continue;
      out += " " + a.name;
      if (a.has_value) out += "=\"" + EscapeAttribute(a.value) + "\"";
    }
    if (tag.self_closing) out += " /";
  }
  return out + ">";
}

// Index after the end tag </name ...> matching case-insensitively, or the end.
size_t SkipPastEndTag(std::string_view html, size_t from, const std::string& name) {
  size_t i = from;
  while ((i = html.find("</", i)) != std::string_view::npos) {
    if (ToLowerAscii(html.substr(i + 2, name.size())) == name) {
      size_t gt = html.find('>', i);
      return gt == std::string_view::npos ? html.size() : gt + 1;
    }
    i += 2;
  }
  return html.size();
}

}  // namespace

std::string SanitizeMailHtml(std::string_view html) {
  std::string out;
  out.reserve(html.size());
  size_t i = 0;
  while (i < html.size()) {
    size_t lt = html.find('<', i);
    if (lt == std::string_view::npos) {
      out.append(html.substr(i));
      break;
    }
    out.append(html.substr(i, lt - i));
    if (html.substr(lt, 4) == "<!--") {  // comments (and IE conditional comments) go
      size_t end = html.find("-->", lt + 4);
      i = end == std::string_view::npos ? html.size() : end + 3;
      continue;
    }
    if (lt + 1 < html.size() && (html[lt + 1] == '!' || html[lt + 1] == '?')) {  // doctype, PI
      size_t gt = html.find('>', lt);
      i = gt == std::string_view::npos ? html.size() : gt + 1;
      continue;
    }
    Tag tag;
    if (!ParseTag(html, lt, &tag)) {
      out += "&lt;";
      i = lt + 1;
      continue;
    }
    i = tag.end;
    if (!tag.complete) continue;  // cut off at the end: dropped whole
    if (In(kDropWithContent, tag.name)) {
      if (!tag.closing && !tag.self_closing) i = SkipPastEndTag(html, i, tag.name);
      continue;
    }
    if (In(kDropTag, tag.name)) continue;
    out += RenderTag(tag);
  }
  return out;
}

}  // namespace mailtee::admin
