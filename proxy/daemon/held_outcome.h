// What a finished approval hold means for the archived report: the outcome
// (relayed / rejected / expired / withdrawn) and the trail of decisions.
#pragma once

#include <chrono>

#include "archive/report_outcome.h"
#include "proxy/approval/hold_queue.h"

namespace mailtee::daemon {

// held must be in a final state (relayed, rejected, expired, withdrawn);
// now is the relay time for relayed mail (on_final runs right after it).
archive::HeldOutcome HeldOutcomeOf(const approval::HeldMessage& held, std::chrono::system_clock::time_point now);

}  // namespace mailtee::daemon
