// Every path the daemon writes, checked before it starts (check-config, run):
//   <storage>                archive, spool, index, holds, logs, admin.sock,
//                            the self-signed certificate, <storage>/approval.key
//   <approval secret-file>   when it does not exist yet (created on first start)
// Files the daemon only reads (TLS certificate and key, password files,
// admin-users.xml, which `mailtee admin` writes) are not on the list.
// Each problem names the config line that chose the path and what to do.
#pragma once

#include <string>
#include <vector>

#include "config/writable_path.h"
#include "proxy/daemon/full_config.h"

namespace mailtee::daemon {

// as: the user the daemon will run as (null: the current process, access(2)).
// Appends problems with file = config_path.
void CheckWritePaths(const FullConfig& full, const std::string& config_path, const config::RunAs* as,
                     std::vector<config::Problem>* problems);

}  // namespace mailtee::daemon
