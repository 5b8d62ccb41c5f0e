#include "proxy/net/time_limits.h"

namespace mailtee::net {

std::string DurationText(uint64_t ms) {
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  return std::to_string(ms) + " ms";
}

std::string LineDeadlineReason(uint64_t line_ms) {
  return "command line not completed within " + DurationText(line_ms);
}

std::string SessionCeilingReason(uint64_t session_ms) {
  return "session time limit of " + DurationText(session_ms) + " reached";
}

}  // namespace mailtee::net
