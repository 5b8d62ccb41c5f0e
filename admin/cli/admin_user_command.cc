// mailtee admin add-user NAME: creates (or re-keys) an admin console account
// in the users file. The password is read from the terminal twice with echo
// off, or from stdin (two lines when stdin is not a terminal; one line with
// --password-stdin). Only its Argon2id hash is stored; the file is 0600. The
// running daemon picks the change up at the next login, no restart needed.
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "admin/auth/password_hash.h"
#include "admin/auth/users_file.h"
#include "admin/cli/act_as_storage_owner.h"
#include "admin/cli/admin_commands.h"

namespace mailtee::cli {
namespace {

const char kUsage[] =
    "usage: mailtee admin add-user NAME [--config FILE | --storage DIR | --users-file FILE] [--password-stdin]\n"
    "  creates or updates an admin console account (default file: <storage>/admin-users.xml)\n";

bool ReadLine(std::string* line) {
  if (!std::getline(std::cin, *line)) return false;
  if (!line->empty() && line->back() == '\r') line->pop_back();
  return true;
}

bool ReadSecret(const char* prompt, std::string* out) {
  const bool tty = isatty(STDIN_FILENO);
  termios old {};
  if (tty) {
    std::fprintf(stderr, "%s", prompt);
    tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  bool ok = ReadLine(out);
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    std::fprintf(stderr, "\n");
  }
  return ok;
}

int AddUser(const Args& args) {
  std::string name;
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i].rfind("--", 0) == 0) {
      if (args[i] != "--password-stdin" && args[i].find('=') == std::string::npos) ++i;  // skip the flag's value
      continue;
    }
    name = args[i];
    break;
  }
  if (name.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  if (!admin::IsValidUserName(name)) {
    std::fprintf(stderr, "mailtee admin: invalid user name '%s' (1-64 of A-Z a-z 0-9 . _ @ -)\n", name.c_str());
    return 2;
  }
  std::string users_file = FlagValue(args, "--users-file");
  if (users_file.empty()) {
    std::string storage;
    if (!AdminStorageDir(args, &storage)) return 2;
    users_file = storage + "/admin-users.xml";
  }
  bool password_stdin = false;
  for (const auto& a : args) password_stdin = password_stdin || a == "--password-stdin";

  std::string password, again;
  if (!ReadSecret("Password: ", &password)) {
    std::fputs("mailtee admin: no password given\n", stderr);
    return 1;
  }
  if (!password_stdin) {
    if (!ReadSecret("Repeat password: ", &again) || again != password) {
      admin::WipeString(&password);
      admin::WipeString(&again);
      std::fputs("mailtee admin: the passwords do not match\n", stderr);
      return 1;
    }
    admin::WipeString(&again);
  }
  if (password.size() < 8) {
    admin::WipeString(&password);
    std::fputs("mailtee admin: use a password of at least 8 characters\n", stderr);
    return 1;
  }
  std::string hash;
  Status s = admin::HashPassword(password, admin::HashCost::Interactive(), &hash);
  admin::WipeString(&password);
  bool replaced = false;
  const size_t slash = users_file.rfind('/');
  if (s.ok()) s = ActAsOwnerOf(slash == std::string::npos ? "." : users_file.substr(0, slash + 1));
  if (s.ok()) s = admin::UpsertUser(users_file, name, hash, &replaced);
  if (!s.ok()) {
    std::fprintf(stderr, "mailtee admin: %s\n", s.message().c_str());
    return 1;
  }
  std::printf("%s admin user %s in %s\n", replaced ? "updated" : "added", name.c_str(), users_file.c_str());
  return 0;
}

}  // namespace

int AdminCommand(const Args& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "help") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "add-user") return AddUser(args);
  std::fprintf(stderr, "mailtee admin: unknown command '%s'\n%s", args[0].c_str(), kUsage);
  return 2;
}

}  // namespace mailtee::cli
