#include "proxy/daemon/write_paths.h"

#include <sys/stat.h>

namespace mailtee::daemon {
namespace {

bool Under(const std::string& path, const std::string& dir) {
  const std::string base = !dir.empty() && dir.back() == '/' ? dir : dir + "/";
  return path.rfind(base, 0) == 0;
}

}  // namespace

void CheckWritePaths(const FullConfig& full, const std::string& config_path, const config::RunAs* as,
                     std::vector<config::Problem>* problems) {
  const config::Config& config = full.loaded.config;
  const std::string who = as ? "the user mailtee runs as (uid " + std::to_string(as->uid) + ")" : "this user";
  Status s = config::CheckWritable(config.storage_dir, as);
  if (!s.ok()) {
    problems->push_back({config_path, config.storage_line,
                         "the storage folder " + config.storage_dir + " cannot be written by " + who + ": " + s.message(),
                         "create it and give it to that user (the Debian package makes /var/lib/mailtee), or choose "
                         "another <storage dir=\"...\">; mailtee writes its archive, logs, holds and admin.sock there",
                         false});
  }
  const approval::ApprovalConfig& approval = full.approval;
  struct stat st;
  if (!approval.enabled || approval.secret_file.empty() || stat(approval.secret_file.c_str(), &st) == 0) return;
  // In storage (the default) the check above covers it. Elsewhere the key is
  // created on first start: its folder must take a new file.
  if (Under(approval.secret_file, config.storage_dir)) return;
  s = config::CheckWritable(approval.secret_file, as);
  if (!s.ok()) {
    problems->push_back({config_path, approval.line,
                         "the approval key " + approval.secret_file + " does not exist and cannot be created by " + who +
                             ": " + s.message(),
                         "remove secret-file to keep the key in the storage folder (" + config.storage_dir +
                             "/approval.key), or point secret-file into a folder mailtee may write",
                         false});
  } else {
    problems->push_back({config_path, approval.line,
                         "the approval key " + approval.secret_file + " is created outside the storage folder " +
                             config.storage_dir,
                         "the shipped systemd unit (ProtectSystem=strict) lets mailtee write only under "
                         "/var/lib/mailtee: add ReadWritePaths= for that folder, or remove secret-file",
                         true});
  }
}

}  // namespace mailtee::daemon
