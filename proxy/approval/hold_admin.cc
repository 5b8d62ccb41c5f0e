#include "proxy/approval/hold_admin.h"

#include "proxy/approval/address_pattern.h"
#include "proxy/approval/mail_command.h"
#include "proxy/approval/notice_builder.h"

namespace mailtee::approval {

std::string FormatHoldLine(const HeldMessage& h) {
  std::string to;
  for (size_t i = 0; i < h.recipients.size(); ++i) to += (i ? "," : "") + h.recipients[i];
  std::string subject = h.subject;
  for (char& c : subject) {
    if (c == '\r' || c == '\n' || c == '\t') c = ' ';
  }
  return h.id + "  " + ToString(h.state) + "  " + FormatNoticeTime(h.held_at) + "  " + h.sender + " -> " + to + "  (" +
         std::to_string(h.Approvals()) + "/" + std::to_string(h.quorum) + ")  " + subject;
}

Status AdminDecide(HoldQueue* queue, ApprovalLog* log, const std::string& id, const std::string& action,
                   const std::string& as, const std::string& reason, int64_t now, HeldMessage* updated) {
  if (action != "approve" && action != "reject") return Status::Error("action must be approve or reject");
  HeldMessage h;
  bool found = false;
  Status s = queue->Get(id, &h, &found);
  if (s.ok() && !found) s = Status::Error("no held message " + id);
  std::string behalf;
  if (s.ok()) s = queue->Authorize(h, as, now, &behalf);
  if (s.ok()) s = queue->Decide(id, Decision{NormalizeAddress(as), behalf, action, now, "", "cli", reason}, "", updated);
  if (log) {
    ApprovalEvent e{s.ok() ? action : "refused", id, NormalizeAddress(as), behalf, "", "cli",
                    h.sender, h.recipients, h.subject, s.ok() ? reason : s.message(), h.listener};
    log->Write(e);
  }
  return s;
}

Status AdminDelegate(HoldQueue* queue, ApprovalLog* log, const std::string& approver, const std::string& proxy,
                     const std::string& until) {
  Status s;
  if (proxy.empty()) {
    s = queue->ClearDelegation(approver);
  } else {
    Delegation d{NormalizeAddress(approver), NormalizeAddress(proxy), 0};
    if (!until.empty() && !EndOfLocalDay(until, &d.until)) return Status::Error("'" + until + "' is not YYYY-MM-DD");
    s = queue->SetDelegation(d);
  }
  if (s.ok() && log) {
    ApprovalEvent e;
    e.event = proxy.empty() ? "undelegate" : "delegate";
    e.actor = NormalizeAddress(approver);
    e.via = "cli";
    if (!proxy.empty()) e.reason = "proxy " + NormalizeAddress(proxy) + (until.empty() ? "" : " until " + until);
    log->Write(e);
  }
  return s;
}

}  // namespace mailtee::approval
