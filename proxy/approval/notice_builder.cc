#include "proxy/approval/notice_builder.h"

#include <time.h>

#include "proxy/approval/address_pattern.h"
#include "proxy/approval/join.h"
#include "proxy/approval/mime_writer.h"

namespace mailtee::approval {
namespace {

// Header values that came from a message must not smuggle header lines.
std::string OneLine(std::string s) {
  for (char& c : s) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return s;
}

std::string Facts(const HeldMessage& h, bool japanese) {
  std::string s;
  if (japanese) {
    s += "  受付番号: " + h.id + "\n";
    s += "  差出人:   " + h.sender + "\n";
    if (h.Owner() != h.sender) s += "  ログイン: " + h.Owner() + "\n";  // whom the rules followed
    s += "  宛先:     " + Join(h.recipients, ", ") + "\n";
    s += "  件名:     " + OneLine(h.subject) + "\n";
    s += "  添付:     " + (h.attachment_names.empty() ? std::string("なし") : Join(h.attachment_names, ", ")) + "\n";
    s += "  保留理由: " + h.rule + (h.reason.empty() ? "" : " — " + h.reason) + "\n";
    s += "  保留日時: " + FormatNoticeTime(h.held_at) + "\n";
    s += "  期限:     " + FormatNoticeTime(h.expires_at) + "\n";
  } else {
    s += "  Held id:     " + h.id + "\n";
    s += "  Sender:      " + h.sender + "\n";
    if (h.Owner() != h.sender) s += "  Login:       " + h.Owner() + "\n";
    s += "  Recipients:  " + Join(h.recipients, ", ") + "\n";
    s += "  Subject:     " + OneLine(h.subject) + "\n";
    s += "  Attachments: " + (h.attachment_names.empty() ? std::string("none") : Join(h.attachment_names, ", ")) + "\n";
    s += "  Held by:     " + h.rule + (h.reason.empty() ? "" : " — " + h.reason) + "\n";
    s += "  Held at:     " + FormatNoticeTime(h.held_at) + "\n";
    s += "  Expires:     " + FormatNoticeTime(h.expires_at) + "\n";
  }
  return s;
}

std::string LastDecider(const HeldMessage& h) {
  for (auto it = h.decisions.rbegin(); it != h.decisions.rend(); ++it) {
    if (it->action == "approve" || it->action == "reject") {
      std::string s = it->approver;
      if (!it->on_behalf_of.empty()) s += " (" + it->on_behalf_of + " の代理 / on behalf of " + it->on_behalf_of + ")";
      return s + ", " + FormatNoticeTime(it->at);
    }
  }
  return "";
}

std::string LastReason(const HeldMessage& h) {
  return h.decisions.empty() ? "" : h.decisions.back().reason;
}

std::string CrlfText(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += "\r\n";
    else if (c != '\r') out += c;
  }
  return out;
}

}  // namespace

std::string FormatNoticeTime(int64_t unix_seconds) {
  const time_t t = static_cast<time_t>(unix_seconds);
  struct tm tm;
  localtime_r(&t, &tm);
  const long off = tm.tm_gmtoff / 60;
  char buf[64];
  snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d %c%02ld:%02ld", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
           tm.tm_hour, tm.tm_min, off < 0 ? '-' : '+', (off < 0 ? -off : off) / 60, (off < 0 ? -off : off) % 60);
  return buf;
}

std::string NoticeBuilder::LinkFor(const std::string& token) const {
  return config_.public_url.empty() ? "" : config_.public_url + "/approval/" + token;
}

std::string NoticeBuilder::MailtoFor(const std::string& command) const {
  return "mailto:" + config_.address + "?subject=" + PercentEncode(command);
}

OutgoingMail NoticeBuilder::Compose(const std::vector<std::string>& to, const std::string& subject,
                                    const std::string& text, const std::string& original_path,
                                    const std::string& original_name) const {
  OutgoingMail m;
  m.envelope_from = config_.address;
  m.envelope_to = to;
  m.subject = subject;
  m.attachment_path = original_path;
  const std::string boundary = NewBoundary();
  const std::string domain = DomainOf(config_.address).empty() ? "mailtee.local" : DomainOf(config_.address);
  std::string& h = m.head;
  h += "From: " + EncodeHeaderText("mailtee 承認 / approval", 6) + "\r\n <" + config_.address + ">\r\n";
  h += "To: " + Join(to, ",\r\n ") + "\r\n";
  h += "Subject: " + EncodeHeaderText(subject, 9) + "\r\n";
  h += "Date: " + RfcDate(std::chrono::system_clock::now()) + "\r\n";
  h += "Message-ID: " + NewMessageId(domain) + "\r\n";
  h += "Auto-Submitted: auto-generated\r\n";  // RFC 3834: no auto-replies to these
  h += "MIME-Version: 1.0\r\n";
  h += "Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n\r\n";
  h += "--" + boundary + "\r\n";
  h += "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n";
  h += Base64Lines(CrlfText(text));
  if (!original_path.empty()) {
    h += "--" + boundary + "\r\n";
    h += "Content-Type: message/rfc822\r\n";
    h += "Content-Disposition: attachment; filename=\"" + original_name + "\"\r\n\r\n";
    m.tail = "\r\n--" + boundary + "--\r\n";
  } else {
    m.tail = "--" + boundary + "--\r\n";
  }
  return m;
}

OutgoingMail NoticeBuilder::ApprovalRequest(const HeldMessage& held, const std::string& to,
                                            const std::string& on_behalf_of, const std::string& approve_token,
                                            const std::string& reject_token, const std::string& original_path) const {
  const std::string approve_link = LinkFor(approve_token), reject_link = LinkFor(reject_token);
  std::string t;
  t += "【承認依頼】送信メールが承認待ちです。\n";
  if (!on_behalf_of.empty()) t += "(" + on_behalf_of + " の代理承認者としてお送りしています)\n";
  t += "\n" + Facts(held, true) + "\n";
  if (!approve_link.empty()) {
    t += "承認する: " + approve_link + "\n差し戻す: " + reject_link + "\n";
    t += "(リンクを開くと確認画面が表示されます。ボタンを押すまで処理されません)\n\n";
  }
  t += "メールで操作する場合は、ご自身のアカウントから次の件名で " + config_.address + " 宛に送信してください:\n";
  t += "  承認: approve " + approve_token + "\n";
  t += "  差戻: reject " + reject_token + " 理由\n";
  t += "  " + MailtoFor("approve " + approve_token) + "\n\n";
  t += "元のメールを添付しています。\n\n";
  t += "----------------------------------------------------------------------\n";
  t += "[Approval request] An outgoing message is waiting for your approval.\n";
  if (!on_behalf_of.empty()) t += "(You receive this as proxy approver for " + on_behalf_of + ".)\n";
  t += "\n" + Facts(held, false) + "\n";
  if (!approve_link.empty()) {
    t += "Approve: " + approve_link + "\nReject:  " + reject_link + "\n";
    t += "(Each link opens a confirmation page; nothing happens until you press its button.)\n\n";
  }
  t += "Or send a mail from your own account to " + config_.address + " with the subject:\n";
  t += "  approve " + approve_token + "\n";
  t += "  reject " + reject_token + " <reason>\n";
  t += "  " + MailtoFor("reject " + reject_token) + "\n\n";
  t += "The original message is attached. Links are single-use and expire " + FormatNoticeTime(held.expires_at) + ".\n";
  const std::string subject = "[承認依頼 / Approval request] " + OneLine(held.subject) + " (" + held.sender + ")";
  return Compose({to}, subject, t, original_path, held.id + ".eml");
}

OutgoingMail NoticeBuilder::HeldNotice(const HeldMessage& held) const {
  std::string t;
  t += "送信されたメールは承認待ちのため保留されました。承認されると送信されます。\n\n";
  t += Facts(held, true);
  t += "  承認者:   " + Join(held.approvers, ", ") + "\n\n";
  t += "取り下げる場合は、件名「withdraw " + held.id + "」で " + config_.address + " 宛に送信してください。\n\n";
  t += "----------------------------------------------------------------------\n";
  t += "Your message was held for approval. It will be sent once approved.\n\n";
  t += Facts(held, false);
  t += "  Approvers:   " + Join(held.approvers, ", ") + "\n\n";
  t += "To withdraw it, send a mail to " + config_.address + " with the subject \"withdraw " + held.id + "\".\n";
  return Compose({held.NoticeAddress()}, "[保留 / Held for approval] " + OneLine(held.subject), t, "", "");
}

OutgoingMail NoticeBuilder::OutcomeNotice(const HeldMessage& held, OutcomeKind kind,
                                          const std::vector<std::string>& to) const {
  std::string ja, en, tag_ja, tag_en;
  const std::string by = LastDecider(held), reason = LastReason(held);
  switch (kind) {
    case OutcomeKind::kApproved:
      tag_ja = "承認";
      tag_en = "Approved";
      ja = "保留中のメールが承認され、送信されます。承認者: " + by + "\n";
      en = "The held message was approved and is being sent. Approved by: " + by + "\n";
      break;
    case OutcomeKind::kRejected:
      tag_ja = "差戻";
      tag_en = "Rejected";
      ja = "保留中のメールは差し戻されました(送信されません)。判断者: " + by + "\n理由: " + reason + "\n";
      en = "The held message was rejected and will not be sent. Decided by: " + by + "\nReason: " + reason + "\n";
      break;
    case OutcomeKind::kExpired:
      tag_ja = "期限切れ";
      tag_en = "Expired";
      ja = "承認期限までに判断がなかったため、保留中のメールは送信されません。\n";
      en = "Nobody decided before the deadline: the held message will not be sent.\n";
      break;
    case OutcomeKind::kWithdrawn:
      tag_ja = "取下げ";
      tag_en = "Withdrawn";
      ja = "差出人がメールを取り下げました(送信されません)。\n";
      en = "The sender withdrew the message; it will not be sent.\n";
      break;
    case OutcomeKind::kEscalated:
      tag_ja = "上位承認へ";
      tag_en = "Escalated";
      ja = "承認期限が過ぎたため、上位の承認者に依頼しました: " + Join(held.approvers, ", ") + "\n";
      en = "The deadline passed; the request went to further approvers: " + Join(held.approvers, ", ") + "\n";
      break;
    case OutcomeKind::kRelayFailed:
      tag_ja = "送信失敗";
      tag_en = "Sending failed";
      ja = "承認済みのメールを送信できませんでした: " + held.relay_result + "\n";
      en = "The approved message could not be sent: " + held.relay_result + "\n";
      break;
  }
  std::string t = ja + "\n" + Facts(held, true) + "\n----------------------------------------------------------------------\n" +
                  en + "\n" + Facts(held, false);
  return Compose(to, "[" + tag_ja + " / " + tag_en + "] " + OneLine(held.subject), t, "", "");
}

OutgoingMail NoticeBuilder::CommandReply(const std::string& to, const std::string& subject_en,
                                         const std::string& body_ja, const std::string& body_en) const {
  return Compose({to}, "[mailtee 承認 / approval] " + subject_en, body_ja + "\n----------------------------------------------------------------------\n" + body_en, "", "");
}

}  // namespace mailtee::approval
