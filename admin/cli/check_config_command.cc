// mailtee check-config FILE: every problem as "FILE:LINE: error: message — hint",
// including those of the <approval> section (the same loader `run` uses) and
// every path the daemon writes that it could not write (write_paths.h).
#include <cstdio>

#include "admin/cli/commands.h"
#include "config/loader.h"
#include "proxy/daemon/full_config.h"
#include "proxy/daemon/write_paths.h"

namespace mailtee::cli {

int CheckConfig(const Args& args) {
  std::string path = FlagValue(args, "--config");
  if (path.empty() && !args.empty()) path = args[0];
  if (path.empty()) {
    std::fputs("usage: mailtee check-config FILE\n", stderr);
    return 2;
  }
  daemon::FullConfig full = daemon::LoadFullConfig(path);
  // Checked as the user running check-config. Run as root it cannot answer
  // for the daemon's user: `run` creates the storage folder as root and gives
  // it to that user, then checks every path again as that user after the drop.
  if (full.ok()) daemon::CheckWritePaths(full, path, /*as=*/nullptr, &full.loaded.problems);
  const config::LoadResult& result = full.loaded;
  int errors = 0, warnings = 0;
  for (const config::Problem& p : result.problems) {
    std::fprintf(stderr, "%s\n", p.ToString().c_str());
    (p.warning ? warnings : errors)++;
  }
  if (errors > 0) {
    std::fprintf(stderr, "%s: %d error(s), %d warning(s); mailtee will not start with this config\n",
                 path.c_str(), errors, warnings);
    return 1;
  }
  std::string approval = "approval off";
  if (full.approval.enabled) approval = "approval on, " + std::to_string(full.approval.rules.size()) + " rule(s)";
  std::printf("%s: OK (%zu listener(s), %s, %d warning(s))\n", path.c_str(), result.config.listeners.size(),
              approval.c_str(), warnings);
  return 0;
}

}  // namespace mailtee::cli
