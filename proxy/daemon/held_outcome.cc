#include "proxy/daemon/held_outcome.h"

#include <cctype>

namespace mailtee::daemon {
namespace {

std::string IsoOfUnixSeconds(int64_t seconds) {
  if (seconds <= 0) return "";
  return archive::FormatIsoTime(std::chrono::system_clock::time_point(std::chrono::seconds(seconds)));
}

// "250 2.0.0 Ok: queued as X" -> 250; 0 when the text does not start with a code.
int ReplyCode(const std::string& reply) {
  if (reply.size() < 3) return 0;
  for (int i = 0; i < 3; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(reply[i]))) return 0;
  }
  return std::stoi(reply.substr(0, 3));
}

}  // namespace

archive::HeldOutcome HeldOutcomeOf(const approval::HeldMessage& held, std::chrono::system_clock::time_point now) {
  archive::HeldOutcome out;
  switch (held.state) {
    case approval::HoldState::kRelayed:
      out.outcome = "relayed";
      out.reply = held.relay_result;
      out.code = ReplyCode(held.relay_result);
      out.relayed_at = archive::FormatIsoTime(now);
      break;
    case approval::HoldState::kRejected:
      out.outcome = "rejected";
      break;
    case approval::HoldState::kExpired:
      out.outcome = "expired";
      break;
    case approval::HoldState::kWithdrawn:
      out.outcome = "withdrawn";
      break;
    default:
      out.outcome = approval::ToString(held.state);  // not final: the caller should not get here
      break;
  }
  out.trail.rule = held.rule;
  out.trail.held_at = IsoOfUnixSeconds(held.held_at);
  for (const approval::Decision& d : held.decisions) {
    out.trail.steps.push_back(archive::ApprovalStep{d.action, d.approver, d.on_behalf_of, IsoOfUnixSeconds(d.at),
                                                    d.client_ip, d.via, d.reason});
    // The reason of the decision that ended it is what the sender was told.
    if (d.action == "reject" && held.state == approval::HoldState::kRejected) out.reply = d.reason;
  }
  return out;
}

}  // namespace mailtee::daemon
