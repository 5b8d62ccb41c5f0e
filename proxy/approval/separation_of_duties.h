// Separation of duties: who may not decide on a held message
// (docs/approval.md). Checked by HoldQueue::Decide, atomically with the
// decision, so every way of deciding (link, mail command, console, CLI) obeys
// it. People are compared with identity.h (a console admin "admin:<account>" is
// their account; a bare name matches an address's local part).
//
//  own-message      the sender (HeldMessage::Owner()) decides: as a listed
//                   approver, as someone's proxy, or as a console admin;
//  senders-slot     someone decides for the sender's own approver slot (the
//                   sender picked their proxy; the other approvers decide);
//  already-decided  the person approved this hold before, for another
//                   approver: a quorum of N needs N distinct people (a
//                   rejection is still allowed: it only stops mail).
#pragma once

#include <string>

#include "proxy/approval/hold_queue.h"

namespace mailtee::approval {

struct DutyCheck {
  std::string code;   // "" when allowed; else one of the codes above (the console's string keys)
  std::string en;     // the reason, for the SMTP reply, the log and the API's "error"
  std::string ja;     // the same in Japanese, for the web page

  bool ok() const { return code.empty(); }
};

// Only approve and reject are checked (withdraw is the sender's own act).
DutyCheck CheckSeparationOfDuties(const HeldMessage& held, const Decision& decision);

}  // namespace mailtee::approval
