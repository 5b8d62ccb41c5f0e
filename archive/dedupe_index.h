// DedupeIndex: the small LevelDB database <storage>/index/state that lets the
// archive keep one copy per user of a message fetched again over POP3:
//   "sha/<user folder>/<sha256 hex>" -> report path relative to storage.
// It is a cache of what the folders hold: an entry whose file is missing is
// ignored by the caller, and the whole database can be rebuilt from reports.
// All LevelDB use of the store lives in this file. Thread-safe (LevelDB is).
#pragma once

#include <memory>
#include <string>

#include "config/status.h"

namespace leveldb {
class DB;
}

namespace mailtee::archive {

class DedupeIndex {
 public:
  static Status Open(const std::string& db_dir, std::unique_ptr<DedupeIndex>* out);
  ~DedupeIndex();

  // *report_path empty when unknown.
  Status Lookup(const std::string& user_folder, const std::string& sha256_hex, std::string* report_path);
  // sync: durable (sync write) before it returns. Without: visible to Lookup
  // at once, durable after the next Sync() (or any later sync write).
  Status Remember(const std::string& user_folder, const std::string& sha256_hex, const std::string& report_path,
                  bool sync = true);
  // Makes every earlier write durable: one sync write, which fsyncs LevelDB's
  // log and with it every record written before it.
  Status Sync();

 private:
  explicit DedupeIndex(leveldb::DB* db);
  std::unique_ptr<leveldb::DB> db_;
};

}  // namespace mailtee::archive
