// GroupSync: group commit over one FileSystemSync (syncfs). Threads that each
// need "what I wrote so far is durable" share syncs: a caller arriving while
// a sync runs waits for the next one, which then covers every caller that
// queued behind it. Under load one syncfs (one cache flush) makes many
// messages' spool bytes, journal records and folder entries durable, where
// per-file fsyncs cost a flush and several disk requests per file each.
//
// Ordering between two writes (spool bytes before the verdict that points at
// them) is kept by two Sync() calls: a crash inside one syncfs may leave any
// subset of that sync's writes on disk.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>

#include "archive/env.h"

namespace mailtee::archive {

class GroupSync {
 public:
  explicit GroupSync(std::unique_ptr<FileSystemSync> sync);

  // Returns once a sync that started after this call has finished ok:
  // everything the caller wrote before the call is durable. Thread-safe.
  //
  // A failure is sticky: that sync's callers, every later caller, and a
  // caller whose own sync succeeded but who wakes only after the failure get
  // its error, until the process restarts. Linux reports a write-back error once
  // per open file, to whichever syncfs comes first, and the lost pages are
  // then clean: a later syncfs returns 0 although a caller's bytes (written
  // before the failed sync) never reached the disk. Nobody can tell whose
  // bytes they were, so no later sync can be trusted.
  Status Sync();

  uint64_t syncs() const;  // how many syncs ran (for tests and figures)

 private:
  const std::unique_ptr<FileSystemSync> sync_;
  mutable std::mutex mu_;
  // Callers wait on the variable of the generation they need (by parity):
  // only the running one's and the next one's callers ever wait, so a
  // finished sync wakes its own callers and one caller of the next (to lead
  // it), not everyone queued for the next.
  std::condition_variable done_cv_[2];
  size_t waiting_[2] = {0, 0};
  bool running_ = false;
  uint64_t started_ = 0;   // generation of the latest sync started
  uint64_t finished_ = 0;  // generation of the latest sync finished
  Status failure_;         // the first failed sync's error; sticky
};

}  // namespace mailtee::archive
