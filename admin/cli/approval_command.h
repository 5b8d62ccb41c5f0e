// mailtee approval list|approve|reject|delegate — dispatch `mailtee approval ...`
// here with the arguments after "approval". Works on the hold queue while the
// daemon is stopped (it holds the LevelDB lock); the daemon relays approved
// mail and sends notices at its next start.
#pragma once

#include "admin/cli/commands.h"

namespace mailtee::cli {

int ApprovalCommand(const Args& args);

}  // namespace mailtee::cli
