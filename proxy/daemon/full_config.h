// The whole configuration of a running mailtee: config::LoadFile plus the
// <approval> section. config/ cannot parse <approval> itself (approval links
// smtp -> net -> config), so `check-config` and `run` both load through here
// and report exactly the same problems, each with file:line and a hint.
#pragma once

#include <string>

#include "config/loader.h"
#include "proxy/approval/approval_config.h"

namespace mailtee::daemon {

struct FullConfig {
  config::LoadResult loaded;          // problems of both parts are in loaded.problems
  approval::ApprovalConfig approval;  // disabled when the file has no <approval>
  bool ok() const { return loaded.ok(); }
};

// path "" loads the embedded default (which has no <approval>).
FullConfig LoadFullConfig(const std::string& path);

}  // namespace mailtee::daemon
