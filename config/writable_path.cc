#include "config/writable_path.h"

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace mailtee::config {
namespace {

std::string Parent(const std::string& path) {
  const size_t slash = path.find_last_of('/', path.size() > 1 ? path.size() - 2 : 0);
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Does `as` have `bit` (S_IWOTH / S_IXOTH scaled) on st?
bool Allowed(const struct stat& st, const RunAs& as, int other_bit) {
  if (as.uid == 0) {
    // root passes the permission bits, except execute needs some x bit.
    return other_bit != S_IXOTH || (st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) != 0;
  }
  if (st.st_uid == as.uid) return (st.st_mode & (other_bit << 6)) != 0;
  const bool in_group = st.st_gid == as.gid || std::find(as.groups.begin(), as.groups.end(), st.st_gid) != as.groups.end();
  if (in_group) return (st.st_mode & (other_bit << 3)) != 0;
  return (st.st_mode & other_bit) != 0;
}

Status Check(const std::string& path, const struct stat& st, int mode, const RunAs* as) {
  const bool write = (mode & W_OK) != 0;
  if (write) {
    struct statvfs vfs;
    if (statvfs(path.c_str(), &vfs) == 0 && (vfs.f_flag & ST_RDONLY)) {
      return Status::Error(path + " is on a read-only file system");
    }
  }
  if (as == nullptr) {
    if (access(path.c_str(), mode) == 0) return Status::Ok();
    return Status::Error(path + ": " + std::strerror(errno));
  }
  if ((mode & X_OK) && !Allowed(st, *as, S_IXOTH)) {
    return Status::Error(path + ": no search permission for uid " + std::to_string(as->uid));
  }
  if (write && !Allowed(st, *as, S_IWOTH)) {
    return Status::Error(path + ": not writable by uid " + std::to_string(as->uid) + " (owner " +
                         std::to_string(st.st_uid) + ", mode " + std::to_string((st.st_mode >> 6) & 7) +
                         std::to_string((st.st_mode >> 3) & 7) + std::to_string(st.st_mode & 7) + ")");
  }
  return Status::Ok();
}

}  // namespace

Status CheckWritable(const std::string& path, const RunAs* as) {
  if (path.empty()) return Status::Error("empty path");
  // The nearest part of the path that exists: itself, or a folder to create it in.
  std::string existing = path;
  struct stat st;
  while (stat(existing.c_str(), &st) != 0) {
    if (errno != ENOENT && errno != ENOTDIR) return Status::Error(existing + ": " + std::strerror(errno));
    const std::string up = Parent(existing);
    if (up == existing) return Status::Error(path + ": no existing folder above it");
    existing = up;
  }
  const bool exists = existing == path;
  if (!exists && !S_ISDIR(st.st_mode)) return Status::Error(existing + " is not a folder, so " + path + " cannot be created");
  // Every folder on the way must be searchable.
  for (std::string dir = Parent(existing); ; dir = Parent(dir)) {
    struct stat dst;
    if (stat(dir.c_str(), &dst) == 0) {
      Status s = Check(dir, dst, X_OK, as);
      if (!s.ok()) return s;
    }
    if (dir == "/" || dir == ".") break;
  }
  const int mode = S_ISDIR(st.st_mode) ? (W_OK | X_OK) : W_OK;
  return Check(existing, st, mode, as);
}

}  // namespace mailtee::config
