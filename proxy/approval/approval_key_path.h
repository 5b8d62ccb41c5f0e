// Where the approval token key lives when <approval secret-file> is not given.
//
// The daemon may write only under <storage> (the shipped systemd unit has
// ProtectSystem=strict), so a key it creates belongs in <storage>/approval.key.
// Installs from before this default have their key in the config folder:
// approval links already mailed were signed with it, and a new key would void
// them all. So while <config folder>/approval.key exists and
// <storage>/approval.key does not, the old one stays in use, with a warning
// that says how to move it.
#pragma once

#include <string>
#include <vector>

#include "config/status.h"
#include "proxy/approval/approval_config.h"

namespace mailtee::approval {

constexpr char kDefaultSecretFileName[] = "approval.key";

// Fills approval->secret_file when it is "" (no secret-file attribute).
// config_path is the config file (its folder held the old default); problems
// get the warning, at the <approval> line, with file = config_path.
void ResolveSecretFile(const std::string& config_path, const std::string& storage_dir, ApprovalConfig* approval,
                       std::vector<config::Problem>* problems);

}  // namespace mailtee::approval
