// StoreWriter: ArchiveStore's background durability writer. Internal to archive/.
//
// Commit makes the provider's verdict durable (one fsync of the meta journal),
// then puts the message's files in place without waiting for the disk: the
// .eml (a rename of the already-fsynced spool) and the report (written, not
// yet fsynced). What is still owed — fsync of the reports, of the folders
// whose entries changed, of the dedupe database, the ledger and search index,
// and finally removing the spool meta — is a PendingDurability handed to this
// writer. It runs them for whole batches: N reports written back together,
// one fsync per folder, one LevelDB sync, one ledger fdatasync per batch.
//
// Crash safety comes from the order: the meta (with its verdict) is removed
// only after everything else of its message is durable, so a crash at any
// point before leaves a meta that Recover() finishes (docs/archive.md).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "archive/index_sink.h"

namespace mailtee::archive {

struct PendingDurability {
  std::string id;                          // the message, for log lines
  std::string spool_name;                  // the spool meta (and .eml.part) to remove at the end
  std::vector<std::string> files;          // written without fsync (reports)
  std::vector<std::string> dirs;           // entries created, renamed or replaced without a folder fsync
  bool dedupe = false;                     // a DedupeIndex write without sync
  bool part_gone = false;                  // the .eml.part became the .eml: nothing to remove
  std::vector<std::string> folds;          // reports whose retrieval journal got a record (to fold in)
  std::optional<IndexingSink::Notice> notice;  // for the ledger and search index, once durable
};

class StoreWriter {
 public:
  using BatchFn = std::function<void(std::vector<PendingDurability>* batch)>;
  // fn runs on the writer's thread with 1..max_batch jobs in submission order.
  // linger: how long a batch that is not full waits for more jobs. Under a
  // trickle of commits (one POP3 session fetching message after message) each
  // batch would otherwise hold one message and pay every folder, dedupe and
  // ledger sync alone; nothing but Flush() waits for the writer, and Flush()
  // cuts the linger short.
  StoreWriter(BatchFn fn, size_t max_pending, size_t max_batch,
              std::chrono::milliseconds linger = std::chrono::milliseconds(0));
  // Finishes every job submitted, then stops the thread.
  ~StoreWriter();

  // Queues a job; blocks while max_pending jobs wait (backpressure on the
  // committing threads instead of an unbounded queue).
  void Submit(PendingDurability job);
  // Returns once every job submitted before the call has been through fn.
  void Flush();

 private:
  void Run();

  const BatchFn fn_;
  const size_t max_pending_;
  const size_t max_batch_;
  const std::chrono::milliseconds linger_;
  std::mutex mu_;
  std::condition_variable work_cv_;   // writer: jobs or stop
  std::condition_variable space_cv_;  // submitters: room in the queue
  std::condition_variable done_cv_;   // Flush: finished_ advanced
  std::deque<PendingDurability> queue_;
  uint64_t submitted_ = 0;
  uint64_t finished_ = 0;
  uint64_t flush_target_ = 0;  // a Flush() waits for jobs up to here: no lingering
  bool stopping_ = false;
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace mailtee::archive
