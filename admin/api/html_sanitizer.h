// Defence in depth for showing a mail's HTML in the console. The real walls
// are the browser's: the part is served with "Content-Security-Policy: sandbox;
// default-src 'none'; style-src 'unsafe-inline'; img-src data:" and shown in
// an <iframe sandbox="">. This pass additionally removes what should never
// reach a browser from mail: active elements with their content (script,
// iframe, object, embed, ...), document-level elements (base, link, meta,
// form controls), event-handler attributes, and every URL that would load or
// navigate (src, href, srcset, background, action, ...) except data:image
// sources and in-page "#" links. It is a tag-level rewriter, not a full HTML
// parser; its output is bounded by its input.
#pragma once

#include <string>
#include <string_view>

namespace mailtee::admin {

std::string SanitizeMailHtml(std::string_view html);

}  // namespace mailtee::admin
