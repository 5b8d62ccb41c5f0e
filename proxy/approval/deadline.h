// Hold deadlines: start + N hours, optionally not counting Saturdays and
// Sundays (local time), so a message held on Friday evening with 24 hours to
// decide expires on Monday evening, not on Saturday.
#pragma once

#include <cstdint>

namespace mailtee::approval {

int64_t ComputeDeadline(int64_t start_unix, int hours, bool skip_weekends);

}  // namespace mailtee::approval
