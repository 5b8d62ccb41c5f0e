// mailtee archive search|show|verify|reindex|stats|export|purge — dispatch
// `mailtee archive ...` here with the arguments after "archive".
#pragma once

#include "admin/cli/commands.h"

namespace mailtee::cli {

int ArchiveCommand(const Args& args);

}  // namespace mailtee::cli
