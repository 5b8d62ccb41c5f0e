// The confirmation page behind an approval link (GET /approval/<token>):
// shows what the token would do and a form that POSTs it; nothing acts on GET
// (mail scanners and link previews open links). Also the result page after the
// POST. Pure HTML rendering (every value escaped); the admin HTTP server owns
// routing, TLS and headers (send Cache-Control: no-store, Referrer-Policy:
// no-referrer, X-Frame-Options: DENY, and a CSP without scripts).
#pragma once

#include <string>

#include "proxy/approval/approval_service.h"

namespace mailtee::approval {

// peek: ApprovalService::PeekToken(token). action_path: where the form posts
// ("/approval/<token>"). Error peek → an explanation page (used, expired, invalid).
std::string RenderConfirmationPage(const ActionResult& peek, const std::string& token, const std::string& action_path);

// After POST: result of ApprovalService::ActWithToken.
std::string RenderResultPage(const ActionResult& result);

std::string HtmlEscape(const std::string& text);

}  // namespace mailtee::approval
