// The mails the approval service sends: requests to approvers, notices to the
// sender and the other approvers, and replies to mail commands. Each is
// multipart/mixed with one text/plain UTF-8 part (Japanese first, then
// English); an approval request also carries the held original as
// message/rfc822. The original is never loaded into memory: an OutgoingMail is
// head + the bytes of attachment_path + tail, streamed by the relayer.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "proxy/approval/approval_config.h"
#include "proxy/approval/hold_queue.h"

namespace mailtee::approval {

struct OutgoingMail {
  std::string envelope_from;
  std::vector<std::string> envelope_to;
  std::string head;              // header + text part + the attachment's part header (CRLF lines)
  std::string attachment_path;   // "" = none; else its bytes follow head verbatim (CRLF message)
  std::string tail;              // closing boundary
  std::string subject;           // UTF-8, for logs and tests
};

enum class OutcomeKind { kApproved, kRejected, kExpired, kWithdrawn, kEscalated, kRelayFailed };

class NoticeBuilder {
 public:
  using Clock = std::chrono::system_clock;
  explicit NoticeBuilder(const ApprovalConfig& config) : config_(config) {}

  // To one approver (or their proxy, on_behalf_of set) with both tokens.
  OutgoingMail ApprovalRequest(const HeldMessage& held, const std::string& to, const std::string& on_behalf_of,
                               const std::string& approve_token, const std::string& reject_token,
                               const std::string& original_path) const;
  // To the sender: the message is waiting, for whom, and how to withdraw it.
  OutgoingMail HeldNotice(const HeldMessage& held) const;
  // To `to` (the sender, or other approvers): what happened and who decided.
  OutgoingMail OutcomeNotice(const HeldMessage& held, OutcomeKind kind, const std::vector<std::string>& to) const;
  // Reply to a mail command (waitlist, history, setproxy, errors).
  OutgoingMail CommandReply(const std::string& to, const std::string& subject_en, const std::string& body_ja,
                            const std::string& body_en) const;

  // "https://host/approval/<token>", or "" without public-url.
  std::string LinkFor(const std::string& token) const;
  // "mailto:approval@...?subject=approve%20<token>"
  std::string MailtoFor(const std::string& command) const;

 private:
  OutgoingMail Compose(const std::vector<std::string>& to, const std::string& subject, const std::string& text,
                       const std::string& original_path, const std::string& original_name) const;
  const ApprovalConfig& config_;
};

// "2026-11-24 17:28 +09:00" for notices.
std::string FormatNoticeTime(int64_t unix_seconds);

}  // namespace mailtee::approval
