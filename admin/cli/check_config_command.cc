// mailtee check-config FILE: every problem as "FILE:LINE: error: message — hint".
#include <cstdio>

#include "admin/cli/commands.h"
#include "config/loader.h"

namespace mailtee::cli {

int CheckConfig(const Args& args) {
  std::string path = FlagValue(args, "--config");
  if (path.empty() && !args.empty()) path = args[0];
  if (path.empty()) {
    std::fputs("usage: mailtee check-config FILE\n", stderr);
    return 2;
  }
  config::LoadResult result = config::LoadFile(path);
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
  std::printf("%s: OK (%zu listener(s), %d warning(s))\n", path.c_str(),
              result.config.listeners.size(), warnings);
  return 0;
}

}  // namespace mailtee::cli
