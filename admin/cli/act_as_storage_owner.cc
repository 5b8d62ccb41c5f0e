#include "admin/cli/act_as_storage_owner.h"

#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace mailtee::cli {

Status ActAsOwnerOf(const std::string& dir) {
  if (::geteuid() != 0) return Status::Ok();
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || st.st_uid == 0) return Status::Ok();
  const gid_t groups[] = {st.st_gid};
  if (::setgroups(1, groups) != 0 || ::setgid(st.st_gid) != 0 || ::setuid(st.st_uid) != 0) {
    return Status::PosixError("cannot act as the owner (uid " + std::to_string(st.st_uid) + ") of " + dir, errno);
  }
  return Status::Ok();
}

}  // namespace mailtee::cli
