#include "proxy/daemon/full_config.h"

#include <utility>

namespace mailtee::daemon {

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
  if (!full.approval.enabled) return full;
  const size_t first = problems->size();
  approval::ValidateApprovalListener(full.approval, full.loaded.config.listeners, problems);
  for (size_t i = first; i < problems->size(); ++i) (*problems)[i].file = path;
  return full;
}

}  // namespace mailtee::daemon
