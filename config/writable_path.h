// Can the daemon write here? check-config (and `run`, before it opens
// anything) asks this of every path the daemon writes, so a folder it may not
// write is reported as FILE:LINE with a hint instead of a daemon that fails
// at start and is restarted by systemd every few seconds.
//
// A path that does not exist yet must be creatable: its nearest existing
// folder is checked instead. Read-only file systems (systemd's
// ProtectSystem=strict mounts /etc and /usr read-only) count as not writable.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "config/status.h"

namespace mailtee::config {

// Whom to check for. Null: the current process, with access(2) (which also
// sees read-only mounts and ACLs). Given: the user the daemon will run as
// after it drops privileges, checked from the mode bits (owner, group and
// supplementary groups; uid 0 may write anything writable at all).
struct RunAs {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups (getgrouplist)
};

// Ok when `path` can be written (or created, with its missing folders) by
// `as`. The error names the folder or file that stops it and why.
Status CheckWritable(const std::string& path, const RunAs* as);

}  // namespace mailtee::config
