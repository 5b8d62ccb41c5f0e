#include "archive/group_sync.h"

namespace mailtee::archive {

GroupSync::GroupSync(std::unique_ptr<FileSystemSync> sync) : sync_(std::move(sync)) {}

Status GroupSync::Sync() {
  std::unique_lock<std::mutex> lock(mu_);
  // A sync already running may have started before the caller's writes: only
  // the next one to start is sure to cover them.
  const uint64_t needed = started_ + 1;
  while (failure_.ok() && finished_ < needed) {
    if (running_) {
      done_cv_.wait(lock);
      continue;
    }
    running_ = true;
    const uint64_t generation = ++started_;
    lock.unlock();
    Status s = sync_->Sync();
    lock.lock();
    running_ = false;
    finished_ = generation;
    if (!s.ok() && failure_.ok()) {
      failure_ = Status::Error(s.message() +
                               "; from now on no archive write can be trusted to reach the disk: check the "
                               "disk (dmesg), then restart mailtee");
    }
    done_cv_.notify_all();
  }
  return failure_;
}

uint64_t GroupSync::syncs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return finished_;
}

}  // namespace mailtee::archive
