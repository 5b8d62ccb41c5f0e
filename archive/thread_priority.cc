#include "archive/thread_priority.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace mailtee::archive {
namespace {

// Linux: PRIO_PROCESS with a thread id sets that thread's nice value only.
id_t ThisThread() { return static_cast<id_t>(::syscall(SYS_gettid)); }

bool ReadNice(int* nice) {
  errno = 0;
  int value = ::getpriority(PRIO_PROCESS, ThisThread());
  if (value == -1 && errno != 0) return false;
  *nice = value;
  return true;
}

// Whether a nice value may be set back down to `target` later.
bool MayRaiseBackTo(int target) {
  if (::geteuid() == 0) return true;  // CAP_SYS_NICE
  struct rlimit limit;
  if (::getrlimit(RLIMIT_NICE, &limit) != 0) return false;
  return limit.rlim_cur != RLIM_INFINITY ? 20 - static_cast<int>(limit.rlim_cur) <= target : true;
}

}  // namespace

void LowerThisThreadPriority(int nice) {
  int current = 0;
  if (ReadNice(&current) && current < nice) ::setpriority(PRIO_PROCESS, ThisThread(), nice);
}

BackgroundPriorityScope::BackgroundPriorityScope(int nice) {
  if (!ReadNice(&previous_) || previous_ >= nice || !MayRaiseBackTo(previous_)) return;
  lowered_ = ::setpriority(PRIO_PROCESS, ThisThread(), nice) == 0;
}

BackgroundPriorityScope::~BackgroundPriorityScope() {
  if (lowered_) ::setpriority(PRIO_PROCESS, ThisThread(), previous_);
}

}  // namespace mailtee::archive
