#include "admin/cli/commands.h"

namespace mailtee::cli {

std::string FlagValue(const Args& args, const std::string& flag) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == flag && i + 1 < args.size()) return args[i + 1];
    if (args[i].rfind(flag + "=", 0) == 0) return args[i].substr(flag.size() + 1);
  }
  return "";
}

}  // namespace mailtee::cli
