// IndexArchiveQuery: ArchiveQuery over the daemon's open search index
// (archive::IndexingSink::index()). The daemon holds LevelDB's lock, so this
// is how the admin API and `mailtee` CLI clients reach the index at run time.
#pragma once

#include "admin/admin_services.h"
#include "archive/index_db.h"

namespace mailtee::admin {

class IndexArchiveQuery : public ArchiveQuery {
 public:
  IndexArchiveQuery(archive::ArchiveIndex* index, std::string storage_dir)
      : index_(index), storage_dir_(std::move(storage_dir)) {}
  Status Search(const archive::Query& query, archive::ResultPage* page) override {
    return index_->Search(query, page);
  }
  Status Get(const std::string& id, archive::IndexRecord* record, bool* found) override {
    return index_->Get(id, record, found);
  }
  const std::string& storage_dir() const override { return storage_dir_; }
  archive::ArchiveIndex* index() override { return index_; }

 private:
  archive::ArchiveIndex* index_;
  std::string storage_dir_;
};

}  // namespace mailtee::admin
