// The admin users file (XML, tinyxml2), mode 0600:
//
//   <admin-users>
//     <user name="alice" hash="$argon2id$v=19$m=65536,t=2,p=1$..." created="2026-11-24T16:20:24+09:00"/>
//   </admin-users>
//
// Only Argon2id hashes are stored, never passwords. A file readable by group
// or others is refused (it holds offline-crackable hashes). Writes are atomic
// (temp + fsync + rename) so the daemon never reads half a file.
#pragma once

#include <ctime>
#include <string>
#include <vector>

#include "config/status.h"

namespace mailtee::admin {

struct AdminUser {
  std::string name;
  std::string hash;
  std::string created;
};

// 1..64 of [A-Za-z0-9._@-].
bool IsValidUserName(const std::string& name);

// A missing file is an empty list (no accounts yet), not an error.
Status LoadUsersFile(const std::string& path, std::vector<AdminUser>* users);
Status SaveUsersFile(const std::string& path, const std::vector<AdminUser>& users);
// Adds the user or replaces its hash (*replaced tells which).
Status UpsertUser(const std::string& path, const std::string& name, const std::string& hash, bool* replaced);

// The daemon's view of the file: re-read whenever it changes on disk, so
// `mailtee admin add-user` takes effect without a restart.
class UserDirectory {
 public:
  explicit UserDirectory(std::string path) : path_(std::move(path)) {}
  // *found false for an unknown user. An unreadable file is an error (logged
  // by the caller); the last good copy is kept.
  Status FindHash(const std::string& name, std::string* hash, bool* found);
  size_t user_count();
  const std::string& path() const { return path_; }

 private:
  Status Refresh();
  std::string path_;
  std::vector<AdminUser> users_;
  bool loaded_ = false;
  struct timespec mtime_ = {};
  long long size_ = -1;
  unsigned long long inode_ = 0;
};

}  // namespace mailtee::admin
