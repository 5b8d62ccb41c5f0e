// SpoolSlotPool: spool file pairs (<slot>.eml.part + <slot>.meta) created
// ahead of need by a background thread, their folder entries already fsynced.
//
// Why: Begin runs on the event loop thread. Creating two files in spool/ there
// made the loop wait whenever another thread held the spool folder's lock or
// its block was being written back (a folder fsync by a concurrent seal, the
// writer's unlinks): measured as hundreds of D-state stalls per second, each
// stalling every session of the process. A pre-created pair costs the loop no
// file system call on the folder, and because the entries are already durable,
// SealForRelay needs no `fsync spool/` of its own.
//
// A slot's meta is empty until Begin writes its first block; Recover() removes
// empty pairs (unused slots left by a crash). The slot name is recorded in the
// meta ("spool <name>") since it differs from the message id.
//
// Metas are reused, not deleted: once a message is durable in the archive the
// writer empties its meta (truncate + fsync) and hands it back (Recycle); the
// pool only creates a new .eml.part beside it (the old one became the .eml).
// Why: on ext4 without a journal, every inode allocation skips inodes freed
// in the last seconds, reading each from the inode table; creating and
// unlinking a meta per message made that scan the top CPU cost of the daemon
// (perf: find_get_block_common, recently_deleted), growing with the rate.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "archive/env.h"

namespace mailtee::archive {

class SpoolSlotPool {
 public:
  struct Slot {
    std::string name;  // file stem under spool/
    std::unique_ptr<WritableFile> part;
    std::unique_ptr<WritableFile> meta;
  };

  // target: how many ready slots to keep. Nothing is created until
  // Start() (background) or Refill() (tests, deterministic).
  SpoolSlotPool(Env* env, std::string spool_dir, size_t target, int perms);
  // Stops the thread, then removes the slots nobody took (and fsyncs spool/).
  ~SpoolSlotPool();
  SpoolSlotPool(const SpoolSlotPool&) = delete;
  SpoolSlotPool& operator=(const SpoolSlotPool&) = delete;

  void Start();
  // Creates slots up to the target on the calling thread, one folder fsync.
  Status Refill();
  // Non-blocking: false when none is ready (the caller creates its files itself).
  bool Take(Slot* out);
  // meta: spool/<name>.meta, emptied durably (size 0 after an fsync), open for
  // appending at offset 0, its .eml.part gone. It becomes a slot again once a
  // new .eml.part exists (the next Refill). When the pool is over-full the
  // meta is removed instead.
  void Recycle(std::string name, std::unique_ptr<WritableFile> meta);
  size_t ready() const;
  // The last refill error (ok when the last refill worked), for the status page/log.
  Status last_error() const;

 private:
  void Run();

  Env* const env_;
  const std::string spool_dir_;
  const size_t target_;
  const int perms_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::vector<Slot> ready_;
  std::vector<Slot> recycled_;  // metas waiting for a new .eml.part
  size_t reusing_ = 0;          // recycled metas a running Refill took: still count toward 2 * target
  Status last_error_;
  bool stopping_ = false;
  std::mutex refill_mu_;  // one refill at a time (thread and tests)
  std::thread thread_;
};

// True for a spool stem made by SpoolSlotPool ("slot-" + 16 hex digits).
bool IsSpoolSlotName(const std::string& stem);

}  // namespace mailtee::archive
