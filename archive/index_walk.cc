#include "archive/index_walk.h"

#include <algorithm>
#include <map>
#include <vector>

#include "archive/env.h"
#include "archive/retrieval_journal.h"

namespace mailtee::archive {
namespace {

bool IsDigits(const std::string& s, size_t n) {
  return s.size() == n && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Status SortedList(Env* env, const std::string& dir, std::vector<std::string>* names) {
  Status s = env->ListDir(dir, names);
  std::sort(names->begin(), names->end());
  return s;
}

class Walker {
 public:
  Walker(const std::string& storage, const WalkCallbacks& cb) : storage_(storage), cb_(cb) {}

  Status Run() {
    FileInfo info;
    Status s = env_->Stat(storage_ + "/archive", &info);
    if (!s.ok() || !info.exists) return s;
    return Level("archive", 0);
  }

 private:
  // depth 0: users, 1: YYYY, 2: MM, 3: DD (files).
  Status Level(const std::string& rel, int depth) {
    std::vector<std::string> names;
    Status s = SortedList(env_, storage_ + "/" + rel, &names);
    if (!s.ok()) return s;
    if (depth == 4) return Day(rel, names);
    static const size_t kDigits[] = {0, 4, 2, 2};
    for (const std::string& name : names) {
      const std::string child = rel + "/" + name;
      FileInfo info;
      s = env_->Stat(storage_ + "/" + child, &info);
      if (!s.ok()) return s;
      if (!info.is_dir || (depth > 0 && !IsDigits(name, kDigits[depth]))) {
        if (cb_.unexpected) cb_.unexpected(child);
        continue;
      }
      s = Level(child, depth + 1);
      if (!s.ok()) return s;
    }
    return Status::Ok();
  }

  Status Day(const std::string& rel, const std::vector<std::string>& names) {
    std::map<std::string, ArchivedFiles> by_id;  // sorted: ids sort by time
    for (const std::string& name : names) {
      bool eml = EndsWith(name, ".eml"), xml = EndsWith(name, ".xml");
      bool journal = EndsWith(name, std::string(kRetrievalJournalSuffix));
      if (!eml && !xml && !journal) {
        if (cb_.unexpected) cb_.unexpected(rel + "/" + name);
        continue;
      }
      std::string id = name.substr(0, name.size() - (journal ? kRetrievalJournalSuffix.size() : 4));
      ArchivedFiles& f = by_id[id];
      f.id = id;
      f.dir = rel;
      (eml ? f.has_eml : xml ? f.has_xml : f.has_retrievals) = true;
    }
    for (const auto& [id, files] : by_id) {
      Status s = cb_.message(files);
      if (!s.ok()) return s;
    }
    return Status::Ok();
  }

  Env* env_ = Env::Default();
  const std::string& storage_;
  const WalkCallbacks& cb_;
};

}  // namespace

Status WalkArchive(const std::string& storage_dir, const WalkCallbacks& callbacks) {
  return Walker(storage_dir, callbacks).Run();
}

}  // namespace mailtee::archive
