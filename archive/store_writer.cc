#include "archive/store_writer.h"

#include "archive/thread_priority.h"

#include <pthread.h>

#include <algorithm>

namespace mailtee::archive {

StoreWriter::StoreWriter(BatchFn fn, size_t max_pending, size_t max_batch, std::chrono::milliseconds linger)
    : fn_(std::move(fn)),
      max_pending_(max_pending),
      max_batch_(max_batch),
      linger_(linger),
      thread_([this] { Run(); }) {}

StoreWriter::~StoreWriter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  thread_.join();
}

void StoreWriter::Submit(PendingDurability job) {
  std::unique_lock<std::mutex> lock(mu_);
  space_cv_.wait(lock, [this] { return queue_.size() < max_pending_; });
  queue_.push_back(std::move(job));
  ++submitted_;
  lock.unlock();
  work_cv_.notify_one();
}

void StoreWriter::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  const uint64_t target = submitted_;
  flush_target_ = std::max(flush_target_, target);
  work_cv_.notify_one();
  done_cv_.wait(lock, [&] { return finished_ >= target; });
}

void StoreWriter::Run() {
  pthread_setname_np(pthread_self(), "mt-writer");  // names the thread in top -H, perf, gdb
  LowerThisThreadPriority(kWriterNice);  // nobody waits for it but Flush() (thread_priority.h)
  std::vector<PendingDurability> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      // Stopping drains the queue first: a clean shutdown leaves nothing to recover.
      work_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      if (linger_.count() > 0) {
        // A full queue ends it too: submitters are blocked (backpressure) and
        // cannot bring the jobs the linger waits for.
        work_cv_.wait_for(lock, linger_, [this] {
          return stopping_ || queue_.size() >= max_batch_ || queue_.size() >= max_pending_ ||
                 flush_target_ > finished_;
        });
      }
      // Past the linger, no waiting for a batch to fill: under load jobs pile
      // up on their own while the previous batch waits for the disk.
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    space_cv_.notify_all();
    fn_(&batch);
    {
      std::lock_guard<std::mutex> lock(mu_);
      finished_ += batch.size();
    }
    done_cv_.notify_all();
    batch.clear();
  }
}

}  // namespace mailtee::archive
