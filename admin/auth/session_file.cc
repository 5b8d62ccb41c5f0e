#include "admin/auth/session_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "archive/env.h"

namespace mailtee::admin {
namespace {
// 256 sessions of ~250 bytes; anything far larger is not ours.
constexpr size_t kMaxFileBytes = 1 << 20;
}  // namespace

Status SaveSessions(const SessionStore& store, const std::string& path) {
  return archive::WriteFileAtomically(archive::Env::Default(), path, store.Export(), path + ".tmp", 0600);
}

Status RestoreSessions(const std::string& path, SessionStore* store, size_t* restored) {
  *restored = 0;
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::Ok();
    return Status::Error("console sessions " + path + ": " + std::strerror(errno));
  }
  const bool trusted = S_ISREG(st.st_mode) && st.st_uid == ::geteuid() && (st.st_mode & 077) == 0;
  std::string text;
  Status s = trusted ? archive::ReadWholeFile(archive::Env::Default(), path, kMaxFileBytes, &text)
                     : Status::Error("console sessions " + path + " ignored: not a private file of this user");
  ::unlink(path.c_str());
  if (!s.ok()) return s;
  *restored = store->Import(text);
  return Status::Ok();
}

}  // namespace mailtee::admin
