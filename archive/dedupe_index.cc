#include "archive/dedupe_index.h"

#include <leveldb/db.h>

namespace mailtee::archive {
namespace {

std::string Key(const std::string& user_folder, const std::string& sha256_hex) {
  return "sha/" + user_folder + "/" + sha256_hex;
}

}  // namespace

Status DedupeIndex::Open(const std::string& db_dir, std::unique_ptr<DedupeIndex>* out) {
  leveldb::Options options;
  options.create_if_missing = true;
  leveldb::DB* db = nullptr;
  leveldb::Status s = leveldb::DB::Open(options, db_dir, &db);
  if (!s.ok()) return Status::Error("open index database " + db_dir + ": " + s.ToString());
  out->reset(new DedupeIndex(db));
  return Status::Ok();
}

DedupeIndex::DedupeIndex(leveldb::DB* db) : db_(db) {}
DedupeIndex::~DedupeIndex() = default;

Status DedupeIndex::Lookup(const std::string& user_folder, const std::string& sha256_hex,
                           std::string* report_path) {
  report_path->clear();
  leveldb::Status s = db_->Get(leveldb::ReadOptions(), Key(user_folder, sha256_hex), report_path);
  if (s.IsNotFound()) return Status::Ok();
  if (!s.ok()) return Status::Error("index lookup of " + sha256_hex + ": " + s.ToString());
  return Status::Ok();
}

Status DedupeIndex::Remember(const std::string& user_folder, const std::string& sha256_hex,
                             const std::string& report_path, bool sync) {
  leveldb::WriteOptions options;
  options.sync = sync;
  leveldb::Status s = db_->Put(options, Key(user_folder, sha256_hex), report_path);
  if (!s.ok()) return Status::Error("index write of " + sha256_hex + ": " + s.ToString());
  return Status::Ok();
}

Status DedupeIndex::Sync() {
  leveldb::WriteOptions options;
  options.sync = true;
  // A tiny key of its own: an empty batch is not guaranteed to reach the log.
  leveldb::Status s = db_->Put(options, "sync-marker", "");
  if (!s.ok()) return Status::Error("index sync: " + s.ToString());
  return Status::Ok();
}

}  // namespace mailtee::archive
