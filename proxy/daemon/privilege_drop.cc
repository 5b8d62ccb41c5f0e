#include "proxy/daemon/privilege_drop.h"

#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace mailtee::daemon {
namespace {

constexpr const char* kCreateUserHint =
    " — create it (useradd --system --home /var/lib/mailtee --shell /usr/sbin/nologin mailtee) "
    "or name an existing account in <daemon user=\"...\"/>";

// nftw offers no user pointer: the walk is single-threaded start-up code.
uid_t g_walk_uid;
gid_t g_walk_gid;
int g_walk_errno;
std::string g_walk_path;

int ChownEntry(const char* path, const struct stat* st, int, struct FTW*) {
  if (st->st_uid == g_walk_uid && st->st_gid == g_walk_gid) return 0;
  if (::lchown(path, g_walk_uid, g_walk_gid) != 0) {
    g_walk_errno = errno;
    g_walk_path = path;
    return 1;
  }
  return 0;
}

bool SetCapabilities(uint64_t permitted, uint64_t effective, uint64_t inheritable) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  data[0].permitted = static_cast<uint32_t>(permitted);
  data[1].permitted = static_cast<uint32_t>(permitted >> 32);
  data[0].effective = static_cast<uint32_t>(effective);
  data[1].effective = static_cast<uint32_t>(effective >> 32);
  data[0].inheritable = static_cast<uint32_t>(inheritable);
  data[1].inheritable = static_cast<uint32_t>(inheritable >> 32);
  return ::syscall(SYS_capset, &header, data) == 0;
}

uint64_t EffectiveCapabilities() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capget, &header, data) != 0) return ~uint64_t{0};
  return data[0].effective | (uint64_t{data[1].effective} << 32);
}

}  // namespace

Status LookUpDaemonAccount(const std::string& user, const std::string& group, DaemonAccount* out) {
  std::vector<char> buf(16384);
  struct passwd pw, *pw_found = nullptr;
  int rc = ::getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &pw_found);
  if (pw_found == nullptr) {
    if (rc != 0) return Status::PosixError("cannot look up the daemon user '" + user + "'", rc);
    return Status::Error("the daemon user '" + user + "' does not exist and mailtee does not run as root" +
                         kCreateUserHint);
  }
  if (pw.pw_uid == 0) {
    return Status::Error("the daemon user '" + user + "' is root (uid 0)" + kCreateUserHint);
  }
  out->user = user;
  out->uid = pw.pw_uid;
  out->gid = pw.pw_gid;
  out->group.clear();
  if (!group.empty()) {
    struct group gr, *gr_found = nullptr;
    std::vector<char> gbuf(16384);
    rc = ::getgrnam_r(group.c_str(), &gr, gbuf.data(), gbuf.size(), &gr_found);
    if (gr_found == nullptr) {
      return Status::Error("the daemon group '" + group + "' does not exist — create it (groupadd --system " +
                           group + ") or remove group= from <daemon>");
    }
    if (gr.gr_gid == 0) return Status::Error("the daemon group '" + group + "' is root's group (gid 0)");
    out->gid = gr.gr_gid;
  }
  out->group = group;
  return Status::Ok();
}

Status GiveStorageTo(const std::string& storage_dir, const DaemonAccount& account) {
  if (::mkdir(storage_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::PosixError("cannot create storage dir " + storage_dir, errno);
  }
  g_walk_uid = account.uid;
  g_walk_gid = account.gid;
  g_walk_errno = 0;
  // FTW_PHYS: a symlink planted in the storage is changed itself, never its target.
  if (::nftw(storage_dir.c_str(), ChownEntry, 32, FTW_PHYS) != 0) {
    if (g_walk_errno != 0) {
      return Status::PosixError("cannot give " + g_walk_path + " to user " + account.user, g_walk_errno);
    }
    return Status::PosixError("cannot walk storage dir " + storage_dir, errno);
  }
  return Status::Ok();
}

Status DropPrivileges(const DaemonAccount& account) {
  if (::geteuid() != 0) return Status::Error("DropPrivileges needs root");
  const gid_t groups[] = {account.gid};
  if (::setgroups(1, groups) != 0) return Status::PosixError("setgroups", errno);
  // While still root: nothing but CAP_NET_BIND_SERVICE may ever come back.
  for (int cap = 0; cap <= 63; ++cap) {
    if (cap == CAP_NET_BIND_SERVICE) continue;
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
      return Status::PosixError("cannot drop capability " + std::to_string(cap) + " from the bounding set", errno);
    }
  }
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return Status::PosixError("prctl(PR_SET_KEEPCAPS)", errno);
  if (::setresgid(account.gid, account.gid, account.gid) != 0) return Status::PosixError("setresgid", errno);
  if (::setresuid(account.uid, account.uid, account.uid) != 0) return Status::PosixError("setresuid", errno);
  constexpr uint64_t kBind = uint64_t{1} << CAP_NET_BIND_SERVICE;
  if (!SetCapabilities(kBind, kBind, kBind)) return Status::PosixError("capset(CAP_NET_BIND_SERVICE)", errno);
  // Ambient: kept across the execve of the in-place restart (a plain
  // permitted capability would be lost there for a non-root user).
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 ||
      ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0) != 0) {
    return Status::PosixError("cannot keep CAP_NET_BIND_SERVICE across restarts (PR_CAP_AMBIENT)", errno);
  }
  ::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return Status::PosixError("prctl(PR_SET_NO_NEW_PRIVS)", errno);

  // Prove it: no real, effective or saved root id, and no way back.
  uid_t ruid, euid, suid;
  gid_t rgid, egid, sgid;
  ::getresuid(&ruid, &euid, &suid);
  ::getresgid(&rgid, &egid, &sgid);
  if (ruid == 0 || euid == 0 || suid == 0 || rgid == 0 || egid == 0 || sgid == 0) {
    return Status::Error("privilege drop incomplete: a root user or group id remains");
  }
  if (::setuid(0) == 0 || ::setgid(0) == 0) return Status::Error("privilege drop failed: root could be regained");
  if ((EffectiveCapabilities() & ~kBind) != 0) {
    return Status::Error("privilege drop failed: capabilities beyond CAP_NET_BIND_SERVICE remain");
  }
  return Status::Ok();
}

std::string DescribeIdentity() {
  std::string out = "uid=" + std::to_string(::getuid());
  if (struct passwd* pw = ::getpwuid(::getuid())) out += std::string("(") + pw->pw_name + ")";
  out += " gid=" + std::to_string(::getgid());
  if (struct group* gr = ::getgrgid(::getgid())) out += std::string("(") + gr->gr_name + ")";
  return out;
}

}  // namespace mailtee::daemon
