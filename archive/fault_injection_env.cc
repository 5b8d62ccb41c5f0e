#include "archive/fault_injection_env.h"

#include <unistd.h>

#include <algorithm>

#include <cerrno>
#include <cstdio>

namespace mailtee::archive {

namespace {
const char* OpName(FaultInjectionEnv::Op op) {
  switch (op) {
    case FaultInjectionEnv::Op::kCreateFile: return "open";
    case FaultInjectionEnv::Op::kWrite: return "write";
    case FaultInjectionEnv::Op::kSync: return "fsync";
    case FaultInjectionEnv::Op::kRename: return "rename";
    case FaultInjectionEnv::Op::kRemove: return "unlink";
    case FaultInjectionEnv::Op::kCreateDir: return "mkdir";
    case FaultInjectionEnv::Op::kSyncDir: return "fsync directory";
    case FaultInjectionEnv::Op::kCount: break;
  }
  return "?";
}
}  // namespace

// Wraps the target's file to count writes/fsyncs and track the synced length.
class FaultFile : public WritableFile {
 public:
  FaultFile(FaultInjectionEnv* env, std::string path, std::unique_ptr<WritableFile> target,
            std::shared_ptr<FaultInjectionEnv::FileState> state)
      : env_(env), path_(std::move(path)), target_(std::move(target)), state_(std::move(state)) {}

  Status Append(std::string_view data) override {
    Status s = env_->Before(FaultInjectionEnv::Op::kWrite, path_);
    if (!s.ok()) return s;
    s = target_->Append(data);
    if (s.ok()) {
      std::lock_guard<std::mutex> lock(env_->mu_);
      state_->size += data.size();
      env_->bytes_written_ += data.size();
    }
    return s;
  }
  Status Sync() override {
    Status s = env_->Before(FaultInjectionEnv::Op::kSync, path_);
    if (!s.ok()) return s;
    s = target_->Sync();
    if (s.ok()) {
      std::lock_guard<std::mutex> lock(env_->mu_);
      state_->synced = state_->size;
    }
    return s;
  }
  Status Close() override { return target_->Close(); }

 private:
  FaultInjectionEnv* env_;
  std::string path_;
  std::unique_ptr<WritableFile> target_;
  std::shared_ptr<FaultInjectionEnv::FileState> state_;
};

class FaultFileSystemSync : public FileSystemSync {
 public:
  FaultFileSystemSync(FaultInjectionEnv* env, std::string dir, std::unique_ptr<FileSystemSync> target)
      : env_(env), dir_(std::move(dir)), target_(std::move(target)) {}
  Status Sync() override {
    Status s = env_->Before(FaultInjectionEnv::Op::kSync, "file system of " + dir_);
    if (!s.ok()) return s;
    const FaultInjectionEnv::SyncSnapshot covered = env_->SnapshotForSync();
    // Without a real handle (a file system PosixEnv refuses) the model alone
    // decides what a crash keeps, which is all these tests look at.
    if (target_) s = target_->Sync();
    if (s.ok()) env_->MarkDurable(covered);
    return s;
  }

 private:
  FaultInjectionEnv* env_;
  std::string dir_;
  std::unique_ptr<FileSystemSync> target_;
};

FaultInjectionEnv::FaultInjectionEnv(Env* target) : EnvWrapper(target) {}
FaultInjectionEnv::~FaultInjectionEnv() = default;

void FaultInjectionEnv::FailNth(Op op, int nth, int err) {
  std::lock_guard<std::mutex> lock(mu_);
  plans_[static_cast<int>(op)] = FaultPlan{nth, err};
}

void FaultInjectionEnv::ClearFaults() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& plan : plans_) plan = FaultPlan();
  crash_countdown_ = -1;
}

void FaultInjectionEnv::Crash() {
  std::lock_guard<std::mutex> lock(mu_);
  CrashLocked();
}

void FaultInjectionEnv::CrashAfter(int mutating_ops) {
  std::lock_guard<std::mutex> lock(mu_);
  crash_countdown_ = mutating_ops;
}

bool FaultInjectionEnv::crashed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return crashed_;
}

uint64_t FaultInjectionEnv::bytes_written() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_written_;
}

int FaultInjectionEnv::count(Op op) const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_[static_cast<int>(op)];
}

Status FaultInjectionEnv::Before(Op op, const std::string& what) {
  std::lock_guard<std::mutex> lock(mu_);
  counts_[static_cast<int>(op)]++;
  if (!crashed_ && crash_countdown_ >= 0) {
    if (crash_countdown_ == 0) CrashLocked();
    else crash_countdown_--;
  }
  if (crashed_) return Status::PosixError(std::string(OpName(op)) + " " + what + " (after simulated crash)", EIO);
  FaultPlan& plan = plans_[static_cast<int>(op)];
  if (plan.remaining > 0 && --plan.remaining == 0)
    return Status::PosixError(std::string(OpName(op)) + " " + what + " (injected)", plan.err);
  return Status::Ok();
}

void FaultInjectionEnv::CrashLocked() {
  if (crashed_) return;
  crashed_ = true;
  for (auto& [path, state] : files_) {
    if (state->size > state->synced && ::truncate(path.c_str(), static_cast<off_t>(state->synced)) != 0)
      std::perror(("FaultInjectionEnv: truncate " + path).c_str());
  }
  for (auto it = pending_.rbegin(); it != pending_.rend(); ++it) {
    if (!it->is_rename) {
      ::unlink(it->to.c_str());
      continue;
    }
    ::rename(it->to.c_str(), it->from.c_str());
    if (it->replaced) {  // the file the rename replaced is back, as a real disk would show it
      std::unique_ptr<WritableFile> old;
      Status s = target()->NewWritableFile(it->to, CreateMode::kTruncate, it->replaced_perms, &old);
      if (s.ok()) s = old->Append(it->replaced_bytes);
      if (s.ok()) s = old->Close();
      if (!s.ok()) std::fprintf(stderr, "FaultInjectionEnv: restore %s: %s\n", it->to.c_str(), s.message().c_str());
    }
  }
  pending_.clear();
}

Status FaultInjectionEnv::NewWritableFile(const std::string& path, CreateMode mode, int perms,
                                          std::unique_ptr<WritableFile>* out) {
  Status s = Before(Op::kCreateFile, path);
  if (!s.ok()) return s;
  bool existed = FileExists(target(), path);
  std::unique_ptr<WritableFile> file;
  s = target()->NewWritableFile(path, mode, perms, &file);
  if (!s.ok()) return s;
  std::shared_ptr<FileState> state;
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::shared_ptr<FileState>& tracked = files_[path];
    if (mode == CreateMode::kAppend && existed && !tracked) {
      // Written before this env saw it (an earlier "boot"): durable as it is.
      FileInfo info;
      tracked = std::make_shared<FileState>();
      if (target()->Stat(path, &info).ok()) tracked->size = tracked->synced = info.size;
    } else if (mode != CreateMode::kAppend || !tracked) {
      tracked = std::make_shared<FileState>();  // (re)created empty
    }
    state = tracked;
    if (!existed) {
      PendingEntry created;
      created.is_rename = false;
      created.to = path;
      created.seq = ++entry_seq_;
      pending_.push_back(std::move(created));
    }
  }
  out->reset(new FaultFile(this, path, std::move(file), std::move(state)));
  return Status::Ok();
}

Status FaultInjectionEnv::RenameFile(const std::string& from, const std::string& to) {
  Status s = Before(Op::kRename, from + " to " + to);
  if (!s.ok()) return s;
  // Keep the bytes a rename replaces: a crash before the directory fsync
  // brings them back. (Small files only: metas and reports are replaced,
  // messages never are.)
  PendingEntry entry;
  entry.is_rename = true;
  entry.from = from;
  entry.to = to;
  FileInfo info;
  if (target()->Stat(to, &info).ok() && info.exists && !info.is_dir) {
    entry.replaced = true;
    entry.replaced_perms = static_cast<int>(info.mode);
    s = ReadWholeFile(target(), to, 64 << 20, &entry.replaced_bytes);
    if (!s.ok()) return s;
  }
  s = target()->RenameFile(from, to);
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(from);
  if (it != files_.end()) {
    files_[to] = it->second;
    files_.erase(it);
  } else {
    files_.erase(to);
  }
  entry.seq = ++entry_seq_;
  pending_.push_back(std::move(entry));
  return Status::Ok();
}

Status FaultInjectionEnv::RemoveFile(const std::string& path) {
  Status s = Before(Op::kRemove, path);
  if (!s.ok()) return s;
  s = target()->RemoveFile(path);
  if (s.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    files_.erase(path);
  }
  return s;
}

Status FaultInjectionEnv::RemoveFiles(const std::vector<std::string>& paths) {
  std::vector<std::string> allowed;
  Status fault;
  for (const auto& path : paths) {
    fault = Before(Op::kRemove, path);
    if (!fault.ok()) break;
    allowed.push_back(path);
  }
  Status s = target()->RemoveFiles(allowed);
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& path : allowed) files_.erase(path);
  return s.ok() ? fault : s;
}

Status FaultInjectionEnv::CreateDir(const std::string& path, int perms, bool* created) {
  Status s = Before(Op::kCreateDir, path);
  if (!s.ok()) return s;
  return target()->CreateDir(path, perms, created);
}

Status FaultInjectionEnv::SyncDir(const std::string& path) {
  Status s = Before(Op::kSyncDir, path);
  if (!s.ok()) return s;
  s = target()->SyncDir(path);
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<PendingEntry> still;
  for (auto& entry : pending_)
    if (ParentDir(entry.to) != path) still.push_back(std::move(entry));
  pending_.swap(still);
  return Status::Ok();
}

Status FaultInjectionEnv::SyncFiles(const std::vector<std::string>& paths) {
  // Each file is one counted op (it may fail or crash on its own); the files
  // before a failing one are synced, together, as the real Env would.
  std::vector<std::string> allowed;
  Status fault;
  for (const auto& path : paths) {
    fault = Before(Op::kSync, path);
    if (!fault.ok()) break;
    allowed.push_back(path);
  }
  Status s = target()->SyncFiles(allowed);
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& path : allowed) {
    auto it = files_.find(path);
    if (it != files_.end()) it->second->synced = it->second->size;
  }
  return fault;
}

Status FaultInjectionEnv::OpenFileSystemSync(const std::string& dir, std::unique_ptr<FileSystemSync>* out) {
  out->reset();
  if (!file_system_sync_) return Status::Error("file-system-wide sync turned off for this test");
  FileInfo info;
  Status s = target()->Stat(dir, &info);
  if (s.ok() && !info.is_dir) s = Status::PosixError("open directory " + dir, info.exists ? ENOTDIR : ENOENT);
  if (!s.ok()) return s;
  std::unique_ptr<FileSystemSync> inner;
  if (!target()->OpenFileSystemSync(dir, &inner).ok()) inner.reset();  // the model works without one
  out->reset(new FaultFileSystemSync(this, dir, std::move(inner)));
  return Status::Ok();
}

FaultInjectionEnv::SyncSnapshot FaultInjectionEnv::SnapshotForSync() {
  std::lock_guard<std::mutex> lock(mu_);
  SyncSnapshot snapshot;
  for (auto& [path, state] : files_) snapshot.files.emplace_back(state, state->size);
  snapshot.last_entry = entry_seq_;
  return snapshot;
}

void FaultInjectionEnv::MarkDurable(const SyncSnapshot& snapshot) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [state, size] : snapshot.files) state->synced = std::max(state->synced, size);
  std::vector<PendingEntry> still;
  for (auto& entry : pending_)
    if (entry.seq > snapshot.last_entry) still.push_back(std::move(entry));
  pending_.swap(still);
}

}  // namespace mailtee::archive
