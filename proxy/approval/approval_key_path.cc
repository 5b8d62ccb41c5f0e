#include "proxy/approval/approval_key_path.h"

#include <sys/stat.h>

#include <filesystem>

namespace mailtee::approval {
namespace {

std::string FolderOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string InFolder(const std::string& dir, const std::string& name) {
  return !dir.empty() && dir.back() == '/' ? dir + name : dir + "/" + name;
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

}  // namespace

void ResolveSecretFile(const std::string& config_path, const std::string& storage_dir, ApprovalConfig* approval,
                       std::vector<config::Problem>* problems) {
  if (!approval->secret_file.empty()) return;  // secret-file="..." given: that path, wherever it is
  const std::string in_storage = InFolder(storage_dir, kDefaultSecretFileName);
  approval->secret_file = in_storage;
  if (config_path.empty() || Exists(in_storage)) return;
  std::error_code ec;  // the warning names an absolute path, like every other path in problems
  const std::filesystem::path absolute = std::filesystem::absolute(config_path, ec).lexically_normal();
  const std::string old = InFolder(FolderOf(ec ? config_path : absolute.string()), kDefaultSecretFileName);
  if (!Exists(old)) return;
  approval->secret_file = old;
  if (!approval->enabled) return;
  problems->push_back({config_path, approval->line,
                       "the approval key is read from " + old +
                           " (the old default): approval links already sent stay valid; new installs keep it in " +
                           in_storage,
                       "move it there (mv " + old + " " + in_storage + ", keeping mode 0600 and the owner) or "
                       "write secret-file=\"" + old + "\" to keep it where it is; see docs/approval.md",
                       true});
}

}  // namespace mailtee::approval
