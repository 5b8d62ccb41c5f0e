#include "proxy/approval/approval_page.h"

#include "proxy/approval/join.h"
#include "proxy/approval/notice_builder.h"

namespace mailtee::approval {
namespace {

std::string Page(const std::string& title, const std::string& body) {
  return "<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
         "<title>" + HtmlEscape(title) + "</title>"
         "<style>body{font-family:sans-serif;max-width:44em;margin:2em auto;padding:0 1em}"
         "th{text-align:left;padding-right:1em;vertical-align:top}"
         "button{font-size:1.1em;padding:.4em 1.2em}textarea{width:100%}</style></head>\n<body>\n" +
         body + "</body></html>\n";
}

std::string Row(const std::string& ja, const std::string& en, const std::string& value) {
  return "<tr><th>" + HtmlEscape(ja) + " / " + HtmlEscape(en) + "</th><td>" + HtmlEscape(value) + "</td></tr>\n";
}

// Why an action was refused; reasons a person must understand (separation of
// duties) come in Japanese and English.
std::string Reasons(const ActionResult& r) {
  const std::string ja = r.reason_ja.empty() ? "" : "<p lang=\"ja\">" + HtmlEscape(r.reason_ja) + "</p>\n";
  return ja + "<p lang=\"en\">" + HtmlEscape(r.status.message()) + "</p>\n";
}

}  // namespace

std::string HtmlEscape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string RenderConfirmationPage(const ActionResult& peek, const std::string& token, const std::string& action_path) {
  if (!peek.status.ok()) {
    return Page("mailtee", "<h1>このリンクは使えません / This link cannot be used</h1>\n" + Reasons(peek));
  }
  const HeldMessage& h = peek.held;
  const bool approve = peek.message.rfind("approve", 0) == 0;
  std::string body = std::string("<h1>") + (approve ? "承認しますか? / Approve this message?" : "差し戻しますか? / Reject this message?") +
                     "</h1>\n<table>\n";
  body += Row("受付番号", "Held id", h.id);
  body += Row("差出人", "Sender", h.sender);
  if (h.Owner() != h.sender) body += Row("ログイン", "Login", h.Owner());
  body += Row("宛先", "Recipients", Join(h.recipients));
  body += Row("件名", "Subject", h.subject);
  body += Row("添付", "Attachments", h.attachment_names.empty() ? "-" : Join(h.attachment_names));
  body += Row("保留理由", "Rule", h.rule + (h.reason.empty() ? "" : " — " + h.reason));
  body += Row("期限", "Expires", FormatNoticeTime(h.expires_at));
  body += "</table>\n<form method=\"post\" action=\"" + HtmlEscape(action_path) + "\">\n";
  body += "<input type=\"hidden\" name=\"token\" value=\"" + HtmlEscape(token) + "\">\n";
  if (!approve) body += "<p><label>理由 / Reason<br><textarea name=\"reason\" rows=\"3\" maxlength=\"1000\"></textarea></label></p>\n";
  body += std::string("<p><button type=\"submit\">") + (approve ? "承認する / Approve" : "差し戻す / Reject") +
          "</button></p>\n</form>\n";
  return Page(approve ? "承認 / Approve" : "差戻 / Reject", body);
}

std::string RenderResultPage(const ActionResult& result) {
  if (!result.status.ok()) return Page("mailtee", "<h1>処理できませんでした / Not done</h1>\n" + Reasons(result));
  return Page("mailtee", "<h1>完了しました / Done</h1>\n<p>" + HtmlEscape(result.message) + "</p>\n");
}

}  // namespace mailtee::approval
