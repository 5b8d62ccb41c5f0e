// FaultInjectionEnv: an EnvWrapper for tests (after LevelDB's SpecialEnv and
// fault_injection_test). It can make the Nth write fail with ENOSPC, an fsync
// fail with EIO, a rename fail; and it can "crash": every later operation fails
// with EIO and the disk is put back to what a power cut would leave:
//   - file bytes written after the file's last fsync are truncated away;
//   - file creations and renames whose directory was not fsynced afterwards
//     are undone (created files unlinked, renames reversed), newest first.
// Directory creation and unlinks are not rolled back (recovery tolerates both).
// The crash model edits the real files, so the target must be a real file
// system (PosixEnv on a temp directory).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "archive/env.h"

namespace mailtee::archive {

class FaultInjectionEnv : public EnvWrapper {
 public:
  enum class Op { kCreateFile, kWrite, kSync, kRename, kRemove, kCreateDir, kSyncDir, kCount };

  explicit FaultInjectionEnv(Env* target);
  ~FaultInjectionEnv() override;

  // The nth call of op from now on (1 = the very next) fails with err; the
  // operation is not performed. One plan per op; a new call replaces it.
  void FailNth(Op op, int nth, int err);
  void FailWrite(int nth, int err = ENOSPC) { FailNth(Op::kWrite, nth, err); }
  void FailSync(int nth, int err = EIO) { FailNth(Op::kSync, nth, err); }
  void FailRename(int nth, int err = EIO) { FailNth(Op::kRename, nth, err); }
  void ClearFaults();

  // Crash now (see header comment). Stays crashed; tests then reopen the store
  // on a fresh Env, as a restarted daemon would.
  void Crash();
  // Crash just before the (n+1)th mutating operation from now (0 = the next one).
  void CrashAfter(int mutating_ops);
  bool crashed() const;
  // How many calls of op were attempted (including failed ones).
  int count(Op op) const;
  // Bytes appended to files through this env (atomic rewrites included).
  uint64_t bytes_written() const;

  Status NewWritableFile(const std::string& path, CreateMode mode, int perms,
                         std::unique_ptr<WritableFile>* out) override;
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status RemoveFile(const std::string& path) override;
  // One counted kRemove per file, as RemoveFile.
  Status RemoveFiles(const std::vector<std::string>& paths) override;
  Status CreateDir(const std::string& path, int perms, bool* created) override;
  Status SyncDir(const std::string& path) override;
  // Counts one kSync per file (each may fail or crash on its own).
  Status SyncFiles(const std::vector<std::string>& paths) override;
  // Its Sync is one counted kSync; once it succeeds every file and every
  // entry change made so far is durable, as after syncfs(2). Off with
  // set_file_system_sync(false): the store then takes its per-file path.
  // The handle points at this env and must not outlive it.
  Status OpenFileSystemSync(const std::string& dir, std::unique_ptr<FileSystemSync>* out) override;
  void set_file_system_sync(bool on) { file_system_sync_ = on; }

 private:
  friend class FaultFile;
  friend class FaultFileSystemSync;
  struct FileState {
    uint64_t size = 0;
    uint64_t synced = 0;
  };
  // What a syncfs starting now covers: every file's length so far and every
  // entry change so far (not what other threads write while it runs).
  struct SyncSnapshot {
    std::vector<std::pair<std::shared_ptr<FileState>, uint64_t>> files;
    uint64_t last_entry = 0;
  };
  SyncSnapshot SnapshotForSync();
  // After that syncfs succeeded.
  void MarkDurable(const SyncSnapshot& snapshot);
  // A directory entry change that is lost if the crash comes before its directory's fsync.
  struct PendingEntry {
    uint64_t seq = 0;          // order of the changes, for SnapshotForSync
    bool is_rename = false;
    std::string from, to;      // create: to only
    bool replaced = false;     // rename over an existing file: its bytes come back
    std::string replaced_bytes;
    int replaced_perms = 0600;
  };
  struct FaultPlan {
    int remaining = 0;  // 0: no fault planned
    int err = 0;
  };

  // Counts the op and decides whether it fails; returns the error Status or ok.
  Status Before(Op op, const std::string& what);
  void CrashLocked();

  mutable std::mutex mu_;
  bool crashed_ = false;
  int crash_countdown_ = -1;  // -1: no crash planned
  int counts_[static_cast<int>(Op::kCount)] = {};
  FaultPlan plans_[static_cast<int>(Op::kCount)];
  std::map<std::string, std::shared_ptr<FileState>> files_;
  std::vector<PendingEntry> pending_;
  bool file_system_sync_ = true;
  uint64_t entry_seq_ = 0;
  uint64_t bytes_written_ = 0;
};

}  // namespace mailtee::archive
