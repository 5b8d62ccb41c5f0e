#include "admin/api/html_sanitizer.h"

#include <algorithm>
#include <iterator>

#include "archive/analysis_header.h"

namespace mailtee::admin {
namespace {

using archive::ToLowerAscii;

// An allow-list: an element or attribute not named here does not reach the
// browser. (A deny-list missed <svg><animate attributeName=href ...>, ping=
// and CSS url() loads: mail HTML keeps inventing ways to load or navigate.)

// Removed with everything up to their end tag: active content, foreign
// content (SVG and MathML give attributes their own meanings, e.g. <animate
// attributeName="href" values="javascript:...">, which an HTML list cannot
// judge) and text that is not body text (title, form controls).
constexpr std::string_view kDropWithContent[] = {
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "noscript", "template", "noembed",
    "noframes", "xmp", "plaintext", "svg", "math", "title", "textarea", "select", "portal"};
// Kept (with allowed attributes only). Any other element (html, head, body,
// form, button, audio, video, base, link, meta, ...) loses its tag and keeps its text.
constexpr std::string_view kAllowedElements[] = {
    "a", "abbr", "acronym", "address", "article", "aside", "b", "bdi", "bdo", "big", "blockquote", "br",
    "caption", "center", "cite", "code", "col", "colgroup", "dd", "del", "details", "dfn", "div", "dl", "dt",
    "em", "figcaption", "figure", "font", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "i",
    "img", "ins", "kbd", "li", "main", "mark", "nav", "ol", "p", "pre", "q", "rp", "rt", "ruby", "s", "samp",
    "section", "small", "span", "strike", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot",
    "th", "thead", "time", "tr", "tt", "u", "ul"};
// Presentational and structural attributes, allowed on every kept element.
// URLs are not here: only <a href="#..."> and <img src="data:image/..."> (SafeUrl);
// style only when its CSS loads nothing (SafeCss).
constexpr std::string_view kAllowedAttributes[] = {
    "abbr", "align", "alt", "axis", "bgcolor", "border", "cellpadding", "cellspacing", "char", "charoff",
    "class", "clear", "color", "colspan", "compact", "datetime", "dir", "face", "frame", "headers", "height",
    "hspace", "id", "lang", "name", "noshade", "nowrap", "open", "reversed", "rowspan", "rules", "scope",
    "size", "span", "start", "summary", "title", "type", "valign", "value", "vspace", "width"};
// CSS that would load something (or run it, in old engines). Checked on
// lowercased CSS with comments and white space removed; a backslash (a CSS
// escape, "\75rl(" = "url(") refuses the whole rule set.
constexpr std::string_view kCssLoaders[] = {
    "url(", "image(", "image-set(", "cross-fade(", "element(", "src(", "@import", "expression(",
    "behavior:", "-moz-binding", "javascript:", "\\"};

template <size_t N>
bool In(const std::string_view (&set)[N], std::string_view name) {
  return std::find(std::begin(set), std::end(set), name) != std::end(set);
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

// The only URLs kept: in-page links and inline raster images.
bool SafeUrl(const std::string& element, const Attribute& a) {
  std::string v;
  for (char c : a.value)
    if (!IsSpace(c)) v.push_back(c);
  v = ToLowerAscii(v);
  if (element == "a" && a.name == "href") return !v.empty() && v[0] == '#';
  if (element == "img" && a.name == "src") return v.rfind("data:image/", 0) == 0 && v.find("svg") == std::string::npos;
  return false;
}

// True when the CSS (a style attribute or a <style> block) loads nothing.
bool SafeCss(std::string_view css) {
  std::string flat;
  for (size_t i = 0; i < css.size(); ++i) {
    if (css.substr(i, 2) == "/*") {  // a comment could split a keyword for a naive check
      const size_t end = css.find("*/", i + 2);
      if (end == std::string_view::npos) break;
      i = end + 1;
      continue;
    }
    if (!IsSpace(css[i])) flat.push_back(css[i]);
  }
  flat = ToLowerAscii(flat);
  for (std::string_view loader : kCssLoaders) {
    if (flat.find(loader) != std::string::npos) return false;
  }
  return true;
}

bool AllowedAttribute(const std::string& element, const Attribute& a) {
  if (a.name == "href" || a.name == "src") return SafeUrl(element, a);
  if (a.name == "style") return SafeCss(a.value);
  return In(kAllowedAttributes, a.name);
}

std::string RenderTag(const Tag& tag) {
  std::string out = "<" + std::string(tag.closing ? "/" : "") + tag.name;
  if (!tag.closing) {
    for (const Attribute& a : tag.attributes) {
      if (!AllowedAttribute(tag.name, a)) continue;
      out += " " + a.name;
      if (a.has_value) out += "=\"" + EscapeAttribute(a.value) + "\"";
    }
    if (tag.self_closing) out += " /";
  }
  return out + ">";
}

// Index of the end tag "</name" (case-insensitive) at or after from, or npos.
size_t FindEndTag(std::string_view html, size_t from, const std::string& name) {
  size_t i = from;
  while ((i = html.find("</", i)) != std::string_view::npos) {
    if (ToLowerAscii(html.substr(i + 2, name.size())) == name) return i;
    i += 2;
  }
  return std::string_view::npos;
}

// Index after the end tag </name ...>, or the end.
size_t SkipPastEndTag(std::string_view html, size_t from, const std::string& name) {
  const size_t end = FindEndTag(html, from, name);
  if (end == std::string_view::npos) return html.size();
  const size_t gt = html.find('>', end);
  return gt == std::string_view::npos ? html.size() : gt + 1;
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
    if (tag.name == "style") {  // raw text up to </style: kept whole when it loads nothing
      if (tag.closing || tag.self_closing) continue;
      const size_t end = FindEndTag(html, i, "style");
      const std::string_view css = html.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
      if (SafeCss(css)) out += "<style>" + std::string(css) + "</style>";
      i = SkipPastEndTag(html, i, "style");
      continue;
    }
    if (!In(kAllowedElements, tag.name)) continue;
    out += RenderTag(tag);
  }
  return out;
}

}  // namespace mailtee::admin
