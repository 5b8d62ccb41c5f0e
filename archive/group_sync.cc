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
      const size_t slot = needed % 2;
      ++waiting_[slot];
      done_cv_[slot].wait(lock);
      --waiting_[slot];
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
    if (!failure_.ok()) {  // everyone returns the error
      done_cv_[0].notify_all();
      done_cv_[1].notify_all();
    } else {
      done_cv_[generation % 2].notify_all();  // covered: they return
      if (waiting_[(generation + 1) % 2] > 0) done_cv_[(generation + 1) % 2].notify_one();  // one leads the next
    }
  }
  return failure_;
}

uint64_t GroupSync::syncs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return finished_;
}

}  // namespace mailtee::archive
