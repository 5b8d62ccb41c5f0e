// mailtee — transparent POP3/SMTP archiving proxy. Subcommand dispatch only.
#include <cstdio>
#include <cstring>
#include <string>

#include "admin/cli/admin_commands.h"
#include "admin/cli/approval_command.h"
#include "admin/cli/archive_command.h"
#include "admin/cli/commands.h"

namespace {

void PrintUsage(FILE* out) {
  std::fputs(
      "usage: mailtee <command> [options]\n"
      "\n"
      "commands:\n"
      "  run [--config FILE] [--log-stderr]\n"
      "                           run the proxy in the foreground (SIGTERM stops it gracefully);\n"
      "                           without --config, the embedded default config (loopback only)\n"
      "                           --log-stderr: every log line on stderr also under systemd\n"
      "  check-config FILE        validate a config file; prints FILE:LINE: problems, exit 1 on error\n"
      "  archive SUBCOMMAND       search|show|verify|reindex|stats|export|purge the archive\n"
      "                           (mailtee archive --help for details)\n"
      "  approval SUBCOMMAND      list|approve|reject|delegate held mail (mailtee approval --help)\n"
      "  status [--config F|--storage D] [--json]\n"
      "                           ask the running daemon for listeners, sessions, certificate expiry\n"
      "  sessions [--config F|--storage D] [--json]\n"
      "                           list the live client sessions (listener, client, login, TLS, state, since)\n"
      "  admin add-user NAME [--role admin|auditor] [--password-stdin] [--config F]\n"
      "                           create or reset a console account (auditor: read-only)\n"
      "  admin remove-user NAME [--config F]   remove a console account (its sessions end)\n"
      "  admin list-users [--config F]         list the console accounts and their roles\n"
      "  version                  print the version and the TLS library\n"
      "\n"
      "See docs/operator-guide.md and config/example.xml.\n",
      out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    PrintUsage(stderr);
    return 2;
  }
  const std::string command = argv[1];
  mailtee::cli::Args args(argv + 2, argv + argc);
  if (command == "run") return mailtee::cli::RunDaemon(args);
  if (command == "check-config") return mailtee::cli::CheckConfig(args);
  if (command == "archive") return mailtee::cli::ArchiveCommand(args);
  if (command == "approval") return mailtee::cli::ApprovalCommand(args);
  if (command == "status") return mailtee::cli::StatusCommand(args);
  if (command == "sessions") return mailtee::cli::SessionsCommand(args);
  if (command == "admin") return mailtee::cli::AdminCommand(args);
  if (command == "version" || command == "--version") return mailtee::cli::PrintVersion(args);
  if (command == "help" || command == "--help" || command == "-h") {
    PrintUsage(stdout);
    return 0;
  }
  std::fprintf(stderr, "mailtee: unknown command '%s'\n\n", command.c_str());
  PrintUsage(stderr);
  return 2;
}
