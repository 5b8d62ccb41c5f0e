// mailtee approval list|approve|reject|delegate — dispatch `mailtee approval ...`
// here with the arguments after "approval". Opens the hold queue while the
// daemon is stopped (the daemon relays approved mail and sends notices at its
// next start); while it runs (the queue's LevelDB lock is held) the same
// commands go through its local admin socket (/api/approvals), and an approval
// is relayed at once.
#pragma once

#include "admin/cli/commands.h"

namespace mailtee::cli {

int ApprovalCommand(const Args& args);

}  // namespace mailtee::cli
