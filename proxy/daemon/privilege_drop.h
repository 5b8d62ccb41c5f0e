// Least privilege for `mailtee run` started as root by hand (issue 13 item
// 18). Under systemd the unit's User=mailtee and AmbientCapabilities= do the
// same before mailtee starts, and none of this runs (the process is not root).
//
// Started as root, mailtee gives its storage folder to the daemon user
// (<daemon user=...>, default "mailtee") and becomes that user, keeping only
// CAP_NET_BIND_SERVICE: as an ambient capability, so the in-place restart on
// reload (restart_in_place.h) can bind ports below 1024 again, exactly as under
// systemd. Everything the daemon then creates (keys, approval secrets,
// admin.sock, archive) belongs to that user from the start.
#pragma once

#include <sys/types.h>

#include <string>

#include "config/status.h"

namespace mailtee::daemon {

struct DaemonAccount {
  std::string user;
  std::string group;
  uid_t uid = 0;
  gid_t gid = 0;
};

// The account for <daemon user= group=> (group empty: the user's primary
// group). A missing user is an error whose hint says how to create it.
Status LookUpDaemonAccount(const std::string& user, const std::string& group, DaemonAccount* out);

// Creates storage_dir (0700) if needed and makes it and everything below it
// belong to the account (files a root-run CLI command left behind included).
// Symlinks are changed themselves, never followed.
Status GiveStorageTo(const std::string& storage_dir, const DaemonAccount& account);

// Root only: supplementary groups = {gid}, gid, uid; every capability dropped
// from the bounding set except CAP_NET_BIND_SERVICE, which stays permitted,
// effective and ambient; no_new_privs. Then proves there is no way back
// (setuid(0) fails, no saved root id). An error means the process must exit.
Status DropPrivileges(const DaemonAccount& account);

// "uid=998(mailtee) gid=998(mailtee)" for the start-up log.
std::string DescribeIdentity();

}  // namespace mailtee::daemon
