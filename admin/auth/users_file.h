// The admin users file (XML, tinyxml2), mode 0600:
//
//   <admin-users>
//     <user name="alice" hash="$argon2id$v=19$m=65536,t=2,p=1$..." created="2026-11-24T16:20:24+09:00"
//           role="admin"/>
//   </admin-users>
//
// role is admin or auditor (admin/auth/roles.h); a missing role is admin, so
// files written before roles existed keep working. An unknown role is an error
// with file:line (never guessed: a typo must not grant or deny silently).
// Only Argon2id hashes are stored, never passwords. A file readable by group
// or others is refused (it holds offline-crackable hashes). Writes are atomic
// (temp + fsync + rename) so the daemon never reads half a file.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "admin/auth/roles.h"
#include "config/status.h"

namespace mailtee::admin {

struct AdminUser {
  std::string name;
  std::string hash;
  std::string created;
  Role role = Role::kAdmin;
};

// A digest that changes whenever the account's password hash or role changes
// (a new hash always has a new salt). A session remembers it at login; a
// different value later means the account was changed and the session ends.
std::string AccountStamp(const AdminUser& user);

// 1..64 of [A-Za-z0-9._@-].
bool IsValidUserName(const std::string& name);

// A missing file is an empty list (no accounts yet), not an error.
Status LoadUsersFile(const std::string& path, std::vector<AdminUser>* users);
Status SaveUsersFile(const std::string& path, const std::vector<AdminUser>& users);
// Adds the user or replaces its hash (*replaced tells which). role: the new
// role; nullopt keeps an existing user's role (a password reset must not
// promote an auditor) and makes a new user an admin.
Status UpsertUser(const std::string& path, const std::string& name, const std::string& hash,
                  std::optional<Role> role, bool* replaced);
Status UpsertUser(const std::string& path, const std::string& name, const std::string& hash, bool* replaced);
// Removes the user; *removed false (and the file untouched) when there is none.
Status RemoveUser(const std::string& path, const std::string& name, bool* removed);

// The daemon's view of the file: re-read whenever it changes on disk (a stat
// per call: mtime, size and inode — the CLI's atomic rename always brings a
// new inode), so `mailtee admin add-user/remove-user` take effect without a
// restart, at the next request.
class UserDirectory {
 public:
  explicit UserDirectory(std::string path) : path_(std::move(path)) {}
  // *found false for an unknown user. An unreadable file is an error (logged
  // by the caller); the last good copy is kept.
  Status FindHash(const std::string& name, std::string* hash, bool* found);
  Status Find(const std::string& name, AdminUser* user, bool* found);
  // Re-reads the file if it changed; generation() counts the reloads.
  Status Refresh();
  uint64_t generation() const { return generation_; }
  // The last good copy (after Refresh).
  const AdminUser* Lookup(const std::string& name) const;
  size_t user_count();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::vector<AdminUser> users_;
  uint64_t generation_ = 0;
  bool loaded_ = false;
  struct timespec mtime_ = {};
  long long size_ = -1;
  unsigned long long inode_ = 0;
};

}  // namespace mailtee::admin
