// CLI commands that write into the storage (archive reindex/purge, approval
// decisions with the daemon stopped, admin add-user) are often run with sudo.
// Files they create as root would be unreadable to the daemon, which runs as
// its own user (docs/operator-guide.md "Users and permissions"): run as root,
// such a command first becomes the owner of the folder it writes into.
#pragma once

#include <string>

#include "config/status.h"

namespace mailtee::cli {

// No-op unless the process is root and `dir` exists and belongs to another
// user; then supplementary groups, gid and uid become the folder's owner.
Status ActAsOwnerOf(const std::string& dir);

}  // namespace mailtee::cli
