#include "proxy/daemon/full_config.h"

#include <utility>

#include "proxy/approval/approval_key_path.h"

namespace mailtee::daemon {
namespace {

// The links in approval mails open /approval/<token> on the admin HTTPS
// console, so public-url only makes sense with the console on; without
// public-url the mails carry mail commands only. Both are legal (warnings),
// but an operator should know which one they get.
void WarnAboutApprovalLinks(const std::string& path, const config::Config& config,
                            const approval::ApprovalConfig& approval, std::vector<config::Problem>* problems) {
  const bool console_on = config.admin.has_value() && config.admin->enabled;
  if (!approval.public_url.empty() && !console_on) {
    problems->push_back({path, approval.line,
                         "approval public-url=\"" + approval.public_url +
                             "\" is set but the admin HTTPS console is " +
                             (config.admin.has_value() ? "disabled" : "not configured") +
                             ": the links in approval mails would lead nowhere",
                         "enable the console (<admin enabled=\"true\" address=\"...\" port=\"...\"/>, see docs/admin.md) at "
                         "that address, or remove public-url so the mails offer mail commands only",
                         true});
  }
  if (approval.public_url.empty()) {
    problems->push_back({path, approval.line,
                         "approval is enabled without public-url: the mails carry no approve/reject links, "
                         "approvers can only answer with mail commands",
                         "to offer links, set public-url=\"https://<host>:<port>\" to the address browsers use "
                         "for the admin console (and enable <admin>); see docs/approval.md",
                         true});
  }
}

}  // namespace

FullConfig LoadFullConfig(const std::string& path) {
  FullConfig full;
  if (path.empty()) {
    full.loaded = config::LoadEmbeddedDefault();
    return full;
  }
  full.loaded = config::LoadFile(path);
  std::vector<config::Problem>* problems = &full.loaded.problems;
  Status s = approval::LoadApprovalSection(path, &full.approval, problems);
  if (!s.ok()) {
    // An unreadable or malformed file is already reported by the loader.
    if (!full.loaded.ok()) return full;
    problems->push_back({path, 0, s.message(), "fix the file; see docs/approval.md", false});
    return full;
  }
  approval::ResolveSecretFile(path, full.loaded.config.storage_dir, &full.approval, problems);
  if (!full.approval.enabled) return full;
  const size_t first = problems->size();
  approval::ValidateApprovalListener(full.approval, full.loaded.config.listeners, problems);
  for (size_t i = first; i < problems->size(); ++i) (*problems)[i].file = path;
  WarnAboutApprovalLinks(path, full.loaded.config, full.approval, problems);
  return full;
}

}  // namespace mailtee::daemon
