// The mailtee command line: one function per subcommand, each returning the
// process exit code. main.cc only dispatches.
#pragma once

#include <string>
#include <vector>

namespace mailtee::cli {

using Args = std::vector<std::string>;

int RunDaemon(const Args& args);        // mailtee run [--config FILE]
int CheckConfig(const Args& args);      // mailtee check-config FILE
int PrintVersion(const Args& args);     // mailtee version

// Returns the value after `flag` ("--config FILE" or "--config=FILE"), or "".
std::string FlagValue(const Args& args, const std::string& flag);

}  // namespace mailtee::cli
