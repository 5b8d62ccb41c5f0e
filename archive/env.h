// Env: the archive's only door to the file system (after LevelDB's Env).
// Everything the store does to disk goes through here, so tests can swap in
// FaultInjectionEnv and prove the disk-full, failed-fsync and crash paths.
// Every error is a Status carrying the operation and path:
//   "write /var/lib/mailtee/spool/x.eml.part: No space left on device".
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/status.h"

namespace mailtee::archive {

// A file opened for appending. Append retries short writes and EINTR; nothing
// is durable until Sync() returns ok.
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  virtual Status Append(std::string_view data) = 0;
  virtual Status Sync() = 0;    // fsync
  virtual Status Close() = 0;   // idempotent; the destructor closes too
};

// A file read front to back in bounded chunks.
class SequentialFile {
 public:
  virtual ~SequentialFile() = default;
  // Reads up to n bytes into *out (replacing it); an empty *out means end of file.
  virtual Status Read(size_t n, std::string* out) = 0;
  // Moves n bytes ahead (past the end is allowed: Read then returns nothing),
  // so a reader of an append-only file starts where it stopped last time
  // instead of reading everything before. This default reads and discards.
  virtual Status Skip(uint64_t n);
};

struct FileInfo {
  bool exists = false;
  bool is_dir = false;
  uint64_t size = 0;
  uint32_t mode = 0;   // permission bits only (st_mode & 07777)
  uint64_t device = 0;  // st_dev: which file system holds it
};

// Makes everything written to one file system durable in one call (syncfs(2)):
// every dirty file's bytes and inode and every directory entry change, with a
// single cache flush, where per-file fsyncs cost one flush and several disk
// requests each. Write-back errors are reported to the first Sync after they
// happen since the handle was opened, so a handle is kept for as long as its
// user's writes must be covered.
class FileSystemSync {
 public:
  virtual ~FileSystemSync() = default;
  virtual Status Sync() = 0;
};

class Env {
 public:
  // O_EXCL | O_TRUNC | O_APPEND (created if missing, every write at the end)
  enum class CreateMode { kExclusive, kTruncate, kAppend };

  virtual ~Env() = default;
  // The process-wide PosixEnv; never deleted.
  static Env* Default();

  virtual Status NewWritableFile(const std::string& path, CreateMode mode, int perms,
                                 std::unique_ptr<WritableFile>* out) = 0;
  virtual Status NewSequentialFile(const std::string& path, std::unique_ptr<SequentialFile>* out) = 0;
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  // Removing a file that does not exist is ok (recovery repeats removals).
  virtual Status RemoveFile(const std::string& path) = 0;
  // RemoveFile for many files; all are tried, the first error is returned.
  // PosixEnv issues them from several threads: on a busy ext4 each unlink
  // waits for the journal's current commit (~3 ms), and parallel ones share
  // that wait. This default removes them one by one.
  virtual Status RemoveFiles(const std::vector<std::string>& paths);
  // One level; *created tells whether it was made now (false: it already existed).
  virtual Status CreateDir(const std::string& path, int perms, bool* created) = 0;
  // fsync of a directory: makes creations, renames and removals in it durable.
  virtual Status SyncDir(const std::string& path) = 0;
  // Makes the bytes of files written earlier (without Sync, maybe renamed
  // since) durable, by path. One call for many files starts their write-back
  // together, so the file system commits them in one go rather than one
  // journal commit per file. Their directory entries still need SyncDir.
  virtual Status SyncFiles(const std::vector<std::string>& paths) = 0;
  // Entry names without "." and "..", unsorted.
  virtual Status ListDir(const std::string& path, std::vector<std::string>* names) = 0;
  // A missing path is ok with info->exists == false.
  virtual Status Stat(const std::string& path, FileInfo* info) = 0;
  // A handle that syncs the whole file system holding dir. This default says
  // the Env has none; callers then fsync file by file.
  virtual Status OpenFileSystemSync(const std::string& dir, std::unique_ptr<FileSystemSync>* out);
};

// Forwards everything to another Env; subclasses override what they change.
class EnvWrapper : public Env {
 public:
  explicit EnvWrapper(Env* target) : target_(target) {}
  Env* target() const { return target_; }

  Status NewWritableFile(const std::string& path, CreateMode mode, int perms,
                         std::unique_ptr<WritableFile>* out) override {
    return target_->NewWritableFile(path, mode, perms, out);
  }
  Status NewSequentialFile(const std::string& path, std::unique_ptr<SequentialFile>* out) override {
    return target_->NewSequentialFile(path, out);
  }
  Status RenameFile(const std::string& from, const std::string& to) override {
    return target_->RenameFile(from, to);
  }
  Status RemoveFile(const std::string& path) override { return target_->RemoveFile(path); }
  Status RemoveFiles(const std::vector<std::string>& paths) override { return target_->RemoveFiles(paths); }
  Status CreateDir(const std::string& path, int perms, bool* created) override {
    return target_->CreateDir(path, perms, created);
  }
  Status SyncDir(const std::string& path) override { return target_->SyncDir(path); }
  Status SyncFiles(const std::vector<std::string>& paths) override { return target_->SyncFiles(paths); }
  Status ListDir(const std::string& path, std::vector<std::string>* names) override {
    return target_->ListDir(path, names);
  }
  Status Stat(const std::string& path, FileInfo* info) override { return target_->Stat(path, info); }
  Status OpenFileSystemSync(const std::string& dir, std::unique_ptr<FileSystemSync>* out) override {
    return target_->OpenFileSystemSync(dir, out);
  }

 private:
  Env* target_;
};

// ---- helpers built on the primitives -----------------------------------------

// "a/b/c.xml" -> "a/b"; "c.xml" -> ".".
std::string ParentDir(const std::string& path);

// mkdir -p: creates every missing component with perms and fsyncs the parent of
// each directory it created, so the new path survives a crash.
Status CreateDirsDurably(Env* env, const std::string& path, int perms);

// Reads a whole file; fails (rather than growing without bound) past max_bytes.
Status ReadWholeFile(Env* env, const std::string& path, size_t max_bytes, std::string* contents);

bool FileExists(Env* env, const std::string& path);

// Atomic replace: write temp_path, fsync, rename over path, fsync path's
// directory (and temp_path's, when it differs). A reader sees the old file or
// the new one, never half of one. temp_path must be on the same file system.
Status WriteFileAtomically(Env* env, const std::string& path, std::string_view data,
                           const std::string& temp_path, int perms);

// The same without any fsync: a crash may leave the old file, or nothing.
// For state whose loss is harmless (e.g. the meta of a message not yet sealed).
Status WriteFileReplacing(Env* env, const std::string& path, std::string_view data,
                          const std::string& temp_path, int perms);

}  // namespace mailtee::archive
