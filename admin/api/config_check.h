// Checking a configuration for the console (POST /api/config/validate and
// /api/config/reload): the same loader `mailtee check-config` and `mailtee
// run` use, so "valid here" means "the daemon will start with it".
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "config/loader.h"

namespace mailtee::admin {

// The running config's file as it is on disk now, loaded as `mailtee run`
// does (daemon::LoadFullConfig: config + <approval>). "<embedded default>":
// the embedded default, which never changes.
config::LoadResult LoadConfigOnDisk(const std::string& running_source);

// Submitted config text. Relative paths resolve against the running file's
// folder, as they would once the text is saved over it. Only files inside
// that folder are opened or checked (config::FileAccess::kBaseDirOnly): the
// daemon runs as root, and a password-file="/etc/shadow" must not turn the
// console into a probe of the file system (existence, size, permissions). Problems name the
// file "<submitted>" and carry the text's line numbers. The <approval>
// section's contents are checked only in the file on disk (LoadFullConfig
// reads from a path), i.e. by validate-without-body and by reload.
config::LoadResult ValidateConfigText(const std::string& xml, const std::string& running_source);

// {"ok", "source", "errors", "warnings", "problems": [{"line", "severity", "message", "hint"}]}
nlohmann::json ValidationToJson(const config::LoadResult& result);

}  // namespace mailtee::admin
