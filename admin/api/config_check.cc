#include "admin/api/config_check.h"

#include "proxy/daemon/full_config.h"

namespace mailtee::admin {
namespace {

constexpr const char* kEmbeddedSource = "<embedded default>";

std::string FolderOf(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

config::LoadResult LoadConfigOnDisk(const std::string& running_source) {
  // Exactly what `mailtee run` loads (config + <approval>).
  return daemon::LoadFullConfig(running_source == kEmbeddedSource ? "" : running_source).loaded;
}

config::LoadResult ValidateConfigText(const std::string& xml, const std::string& running_source) {
  // The embedded default has no folder: then no file is checked (the
  // daemon's working directory, often "/", is no config folder).
  std::string base = running_source == kEmbeddedSource ? "" : FolderOf(running_source);
  return config::LoadString(xml, "<submitted>", base, config::FileAccess::kBaseDirOnly);
}

nlohmann::json ValidationToJson(const config::LoadResult& result) {
  nlohmann::json problems = nlohmann::json::array();
  int errors = 0, warnings = 0;
  for (const config::Problem& p : result.problems) {
    (p.warning ? warnings : errors)++;
    problems.push_back({{"file", p.file},
                        {"line", p.line},
                        {"severity", p.warning ? "warning" : "error"},
                        {"message", p.message},
                        {"hint", p.hint}});
  }
  return {{"ok", errors == 0},
          {"source", result.config.source},
          {"errors", errors},
          {"warnings", warnings},
          {"problems", problems}};
}

}  // namespace mailtee::admin
