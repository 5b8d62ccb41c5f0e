// Restart-in-place for `mailtee run` (POST /api/config/reload, SIGHUP): after
// the daemon drained like on SIGTERM and every object is destroyed (listening
// sockets closed, LevelDB unlocked), the process replaces itself with the same
// binary and the same arguments, so the new config file is read the normal way
// (recovery first, then listeners). The PID stays the same: systemd and
// scripts that hold it are not surprised.
#pragma once

#include <string>
#include <vector>

namespace mailtee::cli {

// This process's argv, from /proc/self/cmdline.
std::vector<std::string> OwnArguments();

// execv(<this binary's path>, OwnArguments()), /proc/self/exe when the file
// was replaced or removed. Returns only on failure, with a message for the operator.
std::string ExecSelf();

// At start: a process exec'd through /proc/self/exe is named "exe"; name it
// "mailtee" so pgrep and ps find it.
void NameProcess();

}  // namespace mailtee::cli
