// Administrative actions on the hold queue without the daemon (CLI) — the same
// rules as the service: only an approver (or their active proxy) decides, a
// decision is final, every action is written to the approval log. The daemon
// relays approved mail and sends the outcome notices at its next start
// (ApprovalService::Start sweeps every unfinished hold).
#pragma once

#include <string>
#include <vector>

#include "proxy/approval/approval_log.h"
#include "proxy/approval/hold_queue.h"

namespace mailtee::approval {

// "id-1  pending  2026-11-24 17:30 +09:00  taro@company.example -> a@x.example  (1/2)  Subject"
std::string FormatHoldLine(const HeldMessage& held);

// action: "approve" | "reject". as: the approver acting (must be authorized).
Status AdminDecide(HoldQueue* queue, ApprovalLog* log, const std::string& id, const std::string& action,
                   const std::string& as, const std::string& reason, int64_t now, HeldMessage* updated);

// until: "" or YYYY-MM-DD. proxy "" clears the delegation.
Status AdminDelegate(HoldQueue* queue, ApprovalLog* log, const std::string& approver, const std::string& proxy,
                     const std::string& until);

}  // namespace mailtee::approval
