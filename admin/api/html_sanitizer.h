// Defence in depth for showing a mail's HTML in the console. The real walls
// are the browser's: the part is served with "Content-Security-Policy: sandbox;
// default-src 'none'; style-src 'unsafe-inline'; img-src data:" and shown in
// an <iframe sandbox="">. This pass additionally keeps only an allow-list of
// text and layout elements and presentational attributes: active and foreign
// elements (script, iframe, object, svg, math, ...) go with their content,
// any other element loses its tag; URLs survive only as in-page "#" links and
// data:image sources (never SVG); style attributes and <style> blocks survive
// only when their CSS loads nothing (no url(), @import, image-set(), CSS
// escapes, ...). It is a tag-level rewriter, not a full HTML parser; its
// output is bounded by its input.
#pragma once

#include <string>
#include <string_view>

namespace mailtee::admin {

std::string SanitizeMailHtml(std::string_view html);

}  // namespace mailtee::admin
