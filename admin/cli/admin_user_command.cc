// mailtee admin add-user NAME [--role admin|auditor]: creates (or re-keys) a
// console account in the users file. The password is read from the terminal
// twice with echo off, or from stdin (two lines when stdin is not a terminal;
// one line with --password-stdin). Only its Argon2id hash is stored; the file
// is 0600. A new account is an admin unless --role says otherwise; re-keying
// keeps the role unless --role is given.
// mailtee admin remove-user NAME; mailtee admin list-users.
// The running daemon notices the changed file at its next request (no
// restart): the account's open console sessions end then — a changed
// password or role, or a removed account, never keeps an old session alive.
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <optional>

#include "admin/auth/password_hash.h"
#include "admin/auth/users_file.h"
#include "admin/cli/act_as_storage_owner.h"
#include "admin/cli/admin_commands.h"

namespace mailtee::cli {
namespace {

const char kUsage[] =
    "usage: mailtee admin add-user NAME [--role admin|auditor] [--password-stdin] [FILE FLAGS]\n"
    "       mailtee admin remove-user NAME [FILE FLAGS]\n"
    "       mailtee admin list-users [FILE FLAGS]\n"
    "  FILE FLAGS: --config FILE | --storage DIR | --users-file FILE (default: <storage>/admin-users.xml)\n"
    "  add-user creates an account (role admin unless --role auditor: read-only) or sets a new\n"
    "  password (and --role) for an existing one; changing or removing an account ends its\n"
    "  console sessions in the running daemon.\n";

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

// The first argument that is neither a flag nor a flag's value, or "".
std::string UserNameArg(const Args& args) {
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i].rfind("--", 0) == 0) {
      if (args[i] != "--password-stdin" && args[i].find('=') == std::string::npos) ++i;  // skip the flag's value
      continue;
    }
    return args[i];
  }
  return "";
}

bool HasFlag(const Args& args, const std::string& flag) {
  for (const auto& a : args) {
    if (a == flag || a.rfind(flag + "=", 0) == 0) return true;
  }
  return false;
}

// The users file the flags name; false after printing the problem.
bool UsersFilePath(const Args& args, std::string* path) {
  *path = FlagValue(args, "--users-file");
  if (!path->empty()) return true;
  std::string storage;
  if (!AdminStorageDir(args, &storage)) return false;
  *path = storage + "/admin-users.xml";
  return true;
}

// NAME, checked; false after printing the problem.
bool UserName(const Args& args, std::string* name) {
  *name = UserNameArg(args);
  if (name->empty()) {
    std::fputs(kUsage, stderr);
    return false;
  }
  if (!admin::IsValidUserName(*name)) {
    std::fprintf(stderr, "mailtee admin: invalid user name '%s' (1-64 of A-Z a-z 0-9 . _ @ -)\n", name->c_str());
    return false;
  }
  return true;
}

// The users file is rewritten (temp + rename): as root, write it as the owner
// of its folder so the daemon, running as its own user, can still read it.
Status ActAsUsersFileOwner(const std::string& users_file) {
  const size_t slash = users_file.rfind('/');
  return ActAsOwnerOf(slash == std::string::npos ? "." : users_file.substr(0, slash + 1));
}

int AddUser(const Args& args) {
  std::string name, users_file;
  if (!UserName(args, &name) || !UsersFilePath(args, &users_file)) return 2;
  std::optional<admin::Role> role;
  if (HasFlag(args, "--role")) {
    const std::string text = FlagValue(args, "--role");
    admin::Role parsed;
    if (!admin::ParseRole(text, &parsed)) {
      std::fprintf(stderr, "mailtee admin: unknown role '%s' (use --role %s)\n", text.c_str(), admin::kRoleChoices);
      return 2;
    }
    role = parsed;
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
  if (s.ok()) s = ActAsUsersFileOwner(users_file);
  if (s.ok()) s = admin::UpsertUser(users_file, name, hash, role, &replaced);
  if (!s.ok()) {
    std::fprintf(stderr, "mailtee admin: %s\n", s.message().c_str());
    return 1;
  }
  std::vector<admin::AdminUser> users;
  admin::LoadUsersFile(users_file, &users);
  const char* role_name = "admin";
  for (const auto& u : users) {
    if (u.name == name) role_name = admin::RoleName(u.role);
  }
  std::printf("%s user %s (role %s) in %s%s\n", replaced ? "updated" : "added", name.c_str(), role_name,
              users_file.c_str(), replaced ? "; its open console sessions end" : "");
  return 0;
}

int RemoveUser(const Args& args) {
  std::string name, users_file;
  if (!UserName(args, &name) || !UsersFilePath(args, &users_file)) return 2;
  bool removed = false;
  Status s = ActAsUsersFileOwner(users_file);
  if (s.ok()) s = admin::RemoveUser(users_file, name, &removed);
  if (!s.ok()) {
    std::fprintf(stderr, "mailtee admin: %s\n", s.message().c_str());
    return 1;
  }
  if (!removed) {
    std::fprintf(stderr, "mailtee admin: there is no user %s in %s (mailtee admin list-users shows them)\n",
                 name.c_str(), users_file.c_str());
    return 1;
  }
  std::printf("removed user %s from %s; its open console sessions end\n", name.c_str(), users_file.c_str());
  return 0;
}

int ListUsers(const Args& args) {
  std::string users_file;
  if (!UsersFilePath(args, &users_file)) return 2;
  std::vector<admin::AdminUser> users;
  Status s = admin::LoadUsersFile(users_file, &users);
  if (!s.ok()) {
    std::fprintf(stderr, "mailtee admin: %s\n", s.message().c_str());
    return 1;
  }
  if (users.empty()) std::printf("no users in %s (mailtee admin add-user NAME)\n", users_file.c_str());
  for (const auto& u : users) std::printf("%-32s %-8s %s\n", u.name.c_str(), admin::RoleName(u.role), u.created.c_str());
  return 0;
}

}  // namespace

int AdminCommand(const Args& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "help") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "add-user") return AddUser(args);
  if (args[0] == "remove-user") return RemoveUser(args);
  if (args[0] == "list-users") return ListUsers(args);
  std::fprintf(stderr, "mailtee admin: unknown command '%s'\n%s", args[0].c_str(), kUsage);
  return 2;
}

}  // namespace mailtee::cli
