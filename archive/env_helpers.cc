// Env helpers: mkdir -p, whole-file read, atomic replace. Built only on the
// Env primitives so fault injection reaches every step.
#include <algorithm>
#include <cerrno>

#include "archive/env.h"

namespace mailtee::archive {

std::string ParentDir(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status CreateDirsDurably(Env* env, const std::string& path, int perms) {
  FileInfo info;
  Status s = env->Stat(path, &info);
  if (!s.ok()) return s;
  if (info.exists) {
    if (!info.is_dir) return Status::PosixError("mkdir " + path, ENOTDIR);
    return Status::Ok();
  }
  std::string parent = ParentDir(path);
  if (parent != path) {
    s = CreateDirsDurably(env, parent, perms);
    if (!s.ok()) return s;
  }
  bool created = false;
  s = env->CreateDir(path, perms, &created);
  if (!s.ok()) return s;
  // The new entry lives in the parent directory: only its fsync makes it durable.
  if (created) return env->SyncDir(parent);
  return Status::Ok();
}

Status ReadWholeFile(Env* env, const std::string& path, size_t max_bytes, std::string* contents) {
  contents->clear();
  std::unique_ptr<SequentialFile> file;
  Status s = env->NewSequentialFile(path, &file);
  if (!s.ok()) return s;
  std::string chunk;
  for (;;) {
    s = file->Read(64 * 1024, &chunk);
    if (!s.ok()) return s;
    if (chunk.empty()) return Status::Ok();
    if (contents->size() + chunk.size() > max_bytes)
      return Status::Error("read " + path + ": file larger than " + std::to_string(max_bytes) + " bytes");
    contents->append(chunk);
  }
}

Status SequentialFile::Skip(uint64_t n) {
  std::string discarded;
  while (n > 0) {
    Status s = Read(static_cast<size_t>(std::min<uint64_t>(n, 64 * 1024)), &discarded);
    if (!s.ok() || discarded.empty()) return s;
    n -= discarded.size();
  }
  return Status::Ok();
}

Status Env::OpenFileSystemSync(const std::string& dir, std::unique_ptr<FileSystemSync>* out) {
  out->reset();
  return Status::Error("no file-system-wide sync for " + dir + " in this environment");
}

Status Env::RemoveFiles(const std::vector<std::string>& paths) {
  Status first;
  for (const auto& path : paths) {
    Status s = RemoveFile(path);
    if (first.ok()) first = s;
  }
  return first;
}

bool FileExists(Env* env, const std::string& path) {
  FileInfo info;
  return env->Stat(path, &info).ok() && info.exists;
}

namespace {

Status WriteTemp(Env* env, std::string_view data, const std::string& temp_path, int perms, bool sync) {
  std::unique_ptr<WritableFile> file;
  Status s = env->NewWritableFile(temp_path, Env::CreateMode::kTruncate, perms, &file);
  if (s.ok()) s = file->Append(data);
  if (s.ok() && sync) s = file->Sync();
  if (s.ok()) s = file->Close();
  if (!s.ok()) {
    file.reset();
    env->RemoveFile(temp_path);  // best effort: a stale temp is also swept by recovery
  }
  return s;
}

}  // namespace

Status WriteFileAtomically(Env* env, const std::string& path, std::string_view data,
                           const std::string& temp_path, int perms) {
  Status s = WriteTemp(env, data, temp_path, perms, /*sync=*/true);
  if (!s.ok()) return s;
  s = env->RenameFile(temp_path, path);
  if (!s.ok()) {
    env->RemoveFile(temp_path);
    return s;
  }
  std::string dir = ParentDir(path), temp_dir = ParentDir(temp_path);
  s = env->SyncDir(dir);
  if (s.ok() && temp_dir != dir) s = env->SyncDir(temp_dir);
  return s;
}

Status WriteFileReplacing(Env* env, const std::string& path, std::string_view data,
                          const std::string& temp_path, int perms) {
  Status s = WriteTemp(env, data, temp_path, perms, /*sync=*/false);
  if (!s.ok()) return s;
  s = env->RenameFile(temp_path, path);
  if (!s.ok()) env->RemoveFile(temp_path);
  return s;
}

}  // namespace mailtee::archive
