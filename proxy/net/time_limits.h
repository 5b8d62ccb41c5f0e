// How the limits that arriving bytes do not reset (docs/net.md "Time limits")
// are named in replies and logs, the same for SMTP and POP3.
#pragma once

#include <cstdint>
#include <string>

namespace mailtee::net {

// "60 s" when whole seconds, else "150 ms" (tests use short limits).
std::string DurationText(uint64_t ms);
// "command line not completed within 60 s"
std::string LineDeadlineReason(uint64_t line_ms);
// "session time limit of 3600 s reached"
std::string SessionCeilingReason(uint64_t session_ms);

}  // namespace mailtee::net
