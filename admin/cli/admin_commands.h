// mailtee status and mailtee admin ...: the CLI side of admin/. Both find the
// storage dir from --storage DIR, else --config FILE, else the embedded
// default config (where `mailtee run` without --config keeps its data).
#pragma once

#include "admin/cli/commands.h"

namespace mailtee::cli {

// mailtee status [--config FILE | --storage DIR | --socket PATH] [--json]
// Asks the running daemon over <storage>/admin.sock.
int StatusCommand(const Args& args);
// mailtee sessions [--config F|--storage D|--socket S] [--json]: live client sessions.
int SessionsCommand(const Args& args);

// mailtee admin add-user NAME [--role admin|auditor] [--config FILE | --storage DIR | --users-file FILE]
//   [--password-stdin]; mailtee admin remove-user NAME [...]; mailtee admin list-users [...]
int AdminCommand(const Args& args);

// The storage dir the flags name (see above); false after printing the problem.
bool AdminStorageDir(const Args& args, std::string* dir);

}  // namespace mailtee::cli
