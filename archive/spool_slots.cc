#include "archive/spool_slots.h"

#include <openssl/rand.h>
#include <pthread.h>

#include <chrono>
#include <cstdio>

namespace mailtee::archive {
namespace {

constexpr std::string_view kPrefix = "slot-";

std::string NewSlotName() {
  uint8_t random[8];
  RAND_bytes(random, sizeof random);
  char hex[17];
  for (size_t i = 0; i < sizeof random; ++i) std::snprintf(hex + 2 * i, 3, "%02x", random[i]);
  return std::string(kPrefix) + hex;
}

}  // namespace

bool IsSpoolSlotName(const std::string& stem) {
  if (stem.size() != kPrefix.size() + 16 || stem.compare(0, kPrefix.size(), kPrefix) != 0) return false;
  for (size_t i = kPrefix.size(); i < stem.size(); ++i) {
    char c = stem[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

SpoolSlotPool::SpoolSlotPool(Env* env, std::string spool_dir, size_t target, int perms)
    : env_(env), spool_dir_(std::move(spool_dir)), target_(target), perms_(perms) {}

SpoolSlotPool::~SpoolSlotPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::vector<std::string> paths;
  for (auto* list : {&ready_, &recycled_}) {
    for (auto& slot : *list) {
      slot.part.reset();
      slot.meta.reset();
      paths.push_back(spool_dir_ + "/" + slot.name + ".meta");
      paths.push_back(spool_dir_ + "/" + slot.name + ".eml.part");  // none for recycled: a no-op
    }
  }
  // Best effort: a leftover empty pair is removed by the next Recover().
  if (!paths.empty() && env_->RemoveFiles(paths).ok()) env_->SyncDir(spool_dir_);
}

void SpoolSlotPool::Start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
}

size_t SpoolSlotPool::ready() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ready_.size();
}

Status SpoolSlotPool::last_error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_error_;
}

bool SpoolSlotPool::Take(Slot* out) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (ready_.empty()) {
      wake = true;
    } else {
      *out = std::move(ready_.back());
      ready_.pop_back();
      wake = ready_.size() <= target_ / 2;
    }
  }
  if (wake) wake_.notify_one();
  return out->part != nullptr;
}

void SpoolSlotPool::Recycle(std::string name, std::unique_ptr<WritableFile> meta) {
  bool kept = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_ && ready_.size() + recycled_.size() + reusing_ < 2 * target_) {
      recycled_.push_back(Slot{name, nullptr, std::move(meta)});
      kept = true;
    }
  }
  if (!kept) {  // over-full or stopping: not needed
    meta.reset();
    env_->RemoveFile(spool_dir_ + "/" + name + ".meta");
    return;
  }
  wake_.notify_one();
}

Status SpoolSlotPool::Refill() {
  std::lock_guard<std::mutex> refill(refill_mu_);
  size_t want;
  std::vector<Slot> reuse;
  {
    std::lock_guard<std::mutex> lock(mu_);
    reuse.swap(recycled_);
    reusing_ = reuse.size();
    want = ready_.size() + reuse.size() < target_ ? target_ - ready_.size() - reuse.size() : 0;
  }
  if (want == 0 && reuse.empty()) return Status::Ok();
  std::vector<Slot> made;
  Status s;
  for (auto& slot : reuse) {
    // A new .eml.part beside the emptied meta; the previous one is in the archive now.
    Status c = env_->NewWritableFile(spool_dir_ + "/" + slot.name + ".eml.part", Env::CreateMode::kExclusive,
                                     perms_, &slot.part);
    if (c.ok()) {
      made.push_back(std::move(slot));
    } else {  // e.g. a leftover part the writer could not remove: give this meta up
      if (s.ok()) s = c;
      slot.meta.reset();
      env_->RemoveFile(spool_dir_ + "/" + slot.name + ".meta");
    }
  }
  for (size_t i = 0; i < want && s.ok(); ++i) {
    Slot slot;
    for (int attempt = 0; attempt < 5; ++attempt) {
      slot.name = NewSlotName();
      s = env_->NewWritableFile(spool_dir_ + "/" + slot.name + ".eml.part", Env::CreateMode::kExclusive, perms_,
                                &slot.part);
      if (s.ok()) break;  // else a (vanishingly rare) name collision, or a real error that repeats
    }
    if (s.ok())
      s = env_->NewWritableFile(spool_dir_ + "/" + slot.name + ".meta", Env::CreateMode::kExclusive, perms_,
                                &slot.meta);
    if (s.ok()) {
      made.push_back(std::move(slot));
    } else if (slot.part) {
      slot.part.reset();
      env_->RemoveFile(spool_dir_ + "/" + slot.name + ".eml.part");
    }
  }
  // Only durable entries are handed out: their holders skip the folder fsync.
  Status synced = made.empty() ? Status::Ok() : env_->SyncDir(spool_dir_);
  if (!synced.ok()) {
    std::vector<std::string> paths;
    for (auto& slot : made) {
      slot.part.reset();
      slot.meta.reset();
      paths.push_back(spool_dir_ + "/" + slot.name + ".meta");
      paths.push_back(spool_dir_ + "/" + slot.name + ".eml.part");
    }
    env_->RemoveFiles(paths);
    made.clear();
    if (s.ok()) s = synced;
  }
  std::lock_guard<std::mutex> lock(mu_);
  reusing_ = 0;
  for (auto& slot : made) ready_.push_back(std::move(slot));
  last_error_ = s.ok() ? Status::Ok() : s.WithContext("while preparing spool files");
  return last_error_;
}

void SpoolSlotPool::Run() {
  pthread_setname_np(pthread_self(), "mt-spool-slots");  // names the thread in top -H, perf, gdb
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !recycled_.empty() || ready_.size() <= target_ / 2; });
      if (stopping_) return;
    }
    if (!Refill().ok()) {
      // Begin falls back to creating its own files (and reports the error to
      // its session); retry later rather than spinning on a full disk.
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
      if (stopping_) return;
    }
  }
}

}  // namespace mailtee::archive
