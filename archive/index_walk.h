// Walks <storage>/archive/<user>/YYYY/MM/DD/ in sorted order and hands over
// the files of each message (<id>.eml + <id>.xml, and <id>.retrievals of a
// message fetched more than once: retrieval_journal.h) together. Shared by verify,
// reindex and the benchmarks. Anything else found there is reported as an
// unexpected file rather than silently skipped.
#pragma once

#include <functional>
#include <string>

#include "config/status.h"

namespace mailtee::archive {

struct ArchivedFiles {
  std::string id;
  std::string dir;          // relative to the storage dir: "archive/tanaka/2026/11/24"
  bool has_eml = false;
  bool has_xml = false;
  bool has_retrievals = false;
  std::string eml_path() const { return dir + "/" + id + ".eml"; }
  std::string xml_path() const { return dir + "/" + id + ".xml"; }
  std::string retrievals_path() const { return dir + "/" + id + ".retrievals"; }
};

struct WalkCallbacks {
  std::function<Status(const ArchivedFiles&)> message;           // stop by returning an error
  std::function<void(const std::string& rel_path)> unexpected;  // a file or folder out of place
};

// A missing archive/ folder is an empty archive.
Status WalkArchive(const std::string& storage_dir, const WalkCallbacks& callbacks);

}  // namespace mailtee::archive
