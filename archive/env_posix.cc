// PosixEnv: Env on open(2)/write(2)/fsync(2)/rename(2). Error texts name the
// operation and the path (PosixError), never just "failed".
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "archive/env.h"
#include "archive/thread_priority.h"

namespace mailtee::archive {
namespace {

constexpr size_t kMaxHelperThreads = 15;  // plus the caller

// Threads that live as long as the process, for system calls that mostly
// wait on the file system (a writer batch's fdatasyncs and unlinks). They
// used to be started per call: a clone3, a stack mmap/munmap and a join for
// each helper, about one thread per archived message under load.
class HelperThreads {
 public:
  static HelperThreads& Instance() {
    static HelperThreads* threads = new HelperThreads();  // never destroyed: detached threads use it
    return *threads;
  }

  // Runs fn(0..n-1) on the caller and up to kMaxHelperThreads helpers;
  // returns when every call has returned.
  void Run(size_t n, const std::function<void(size_t)>& fn) {
    auto job = std::make_shared<Job>();
    job->fn = &fn;
    job->n = n;
    const size_t helpers = std::min(kMaxHelperThreads, n / 2);
    if (helpers > 0) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        StartThreadsLocked(helpers);
        for (size_t i = 0; i < helpers; ++i) queue_.push_back(job);
      }
      for (size_t i = 0; i < helpers; ++i) cv_.notify_one();  // not notify_all: only as many as there is work for
    }
    Work(job.get());
    std::unique_lock<std::mutex> lock(job->mu);
    job->cv.wait(lock, [&] { return job->done == job->n; });
  }

 private:
  struct Job {
    const std::function<void(size_t)>* fn = nullptr;  // valid until done == n
    size_t n = 0;
    std::atomic<size_t> next{0};
    std::mutex mu;
    std::condition_variable cv;
    size_t done = 0;
  };

  // A helper that picks up a job after the caller has returned finds no index
  // left below n and never touches fn.
  static void Work(Job* job) {
    size_t mine = 0;
    for (size_t i = job->next.fetch_add(1); i < job->n; i = job->next.fetch_add(1)) {
      (*job->fn)(i);
      ++mine;
    }
    if (mine == 0) return;
    std::lock_guard<std::mutex> lock(job->mu);
    job->done += mine;
    if (job->done == job->n) job->cv.notify_all();
  }

  void StartThreadsLocked(size_t wanted) {
    for (; started_ < wanted; ++started_) {
      std::thread([this] {
        pthread_setname_np(pthread_self(), "mt-io-helper");
        LowerThisThreadPriority(kWriterNice);  // the writer's syncs and unlinks only (thread_priority.h)
        for (;;) {
          std::shared_ptr<Job> job;
          {
            std::unique_lock<std::mutex> lock(mu_);
            cv_.wait(lock, [this] { return !queue_.empty(); });
            job = std::move(queue_.front());
            queue_.pop_front();
          }
          Work(job.get());
        }
      }).detach();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> queue_;
  size_t started_ = 0;  // grows to the most helpers one call asked for
};

void InParallel(size_t n, const std::function<void(size_t)>& fn) { HelperThreads::Instance().Run(n, fn); }

class PosixWritableFile : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixWritableFile() override { Close(); }

  Status Append(std::string_view data) override {
    if (fd_ < 0) return Status::PosixError("write " + path_, EBADF);
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return Status::PosixError("write " + path_, errno);
      }
      data.remove_prefix(static_cast<size_t>(n));  // short write: loop for the rest
    }
    return Status::Ok();
  }

  Status Sync() override {
    if (fd_ < 0) return Status::PosixError("fsync " + path_, EBADF);
    if (::fsync(fd_) != 0) return Status::PosixError("fsync " + path_, errno);
    return Status::Ok();
  }

  Status Close() override {
    if (fd_ < 0) return Status::Ok();
    int fd = fd_;
    fd_ = -1;
    // close(2) after EINTR must not be retried on Linux: the fd is already gone.
    if (::close(fd) != 0 && errno != EINTR) return Status::PosixError("close " + path_, errno);
    return Status::Ok();
  }

 private:
  std::string path_;
  int fd_;
};

class PosixSequentialFile : public SequentialFile {
 public:
  PosixSequentialFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixSequentialFile() override { ::close(fd_); }

  Status Read(size_t n, std::string* out) override {
    out->resize(n);
    for (;;) {
      ssize_t got = ::read(fd_, out->data(), n);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) {
        out->clear();
        return Status::PosixError("read " + path_, errno);
      }
      out->resize(static_cast<size_t>(got));
      return Status::Ok();
    }
  }

  Status Skip(uint64_t n) override {
    if (::lseek(fd_, static_cast<off_t>(n), SEEK_CUR) < 0) return Status::PosixError("seek " + path_, errno);
    return Status::Ok();
  }

 private:
  std::string path_;
  int fd_;
};

// syncfs(2) on a directory fd kept open: the kernel reports a write-back
// error to each open file description once, from when it was opened, so a
// handle opened per call would miss errors from background write-back.
class PosixFileSystemSync : public FileSystemSync {
 public:
  PosixFileSystemSync(std::string dir, int fd) : dir_(std::move(dir)), fd_(fd) {}
  ~PosixFileSystemSync() override { ::close(fd_); }
  Status Sync() override {
    if (::syncfs(fd_) != 0) return Status::PosixError("syncfs of the file system holding " + dir_, errno);
    return Status::Ok();
  }

 private:
  const std::string dir_;
  const int fd_;
};

// Local file systems whose syncfs(2) writes back and flushes everything, as
// fsync would file by file. Elsewhere (FUSE before its opt-in SYNCFS, network
// file systems) syncfs may return without making anything durable, so the
// store keeps its per-file fsyncs there.
const char* FileSystemWithFullSyncfs(long type) {
  switch (static_cast<unsigned long>(type)) {
    case 0xEF53: return "ext2/3/4";
    case 0x58465342: return "xfs";
    case 0x9123683E: return "btrfs";
    case 0xF2F52010: return "f2fs";
    case 0x01021994: return "tmpfs";  // nothing to flush: durable as far as it ever is
    default: return nullptr;
  }
}

// syncfs reports write-back errors since Linux 5.8 and the file system's
// own errors (a failed journal commit) since 5.17; before, it may return 0
// after losing data where fsync would have failed.
bool KernelReportsSyncfsErrors(std::string* release) {
  struct utsname u;
  if (::uname(&u) != 0) return false;
  *release = u.release;
  int major = 0, minor = 0;
  if (std::sscanf(u.release, "%d.%d", &major, &minor) != 2) return false;
  return major > 5 || (major == 5 && minor >= 17);
}

// ext2 and ext3 share ext4's magic number. The ext4 driver flushes the disk
// cache in syncfs; the old ext2 driver's syncfs does not. The ext4 driver
// lists every file system it mounted under /sys/fs/ext4/<block device>.
bool MountedByExt4Driver(dev_t dev) {
  char link[64], target[512];
  std::snprintf(link, sizeof link, "/sys/dev/block/%u:%u", major(dev), minor(dev));
  ssize_t n = ::readlink(link, target, sizeof target - 1);
  if (n <= 0) return false;
  target[n] = '\0';
  const char* name = std::strrchr(target, '/');
  name = name ? name + 1 : target;
  return ::access((std::string("/sys/fs/ext4/") + name).c_str(), F_OK) == 0;
}

class PosixEnv : public Env {
 public:
  Status NewWritableFile(const std::string& path, CreateMode mode, int perms,
                         std::unique_ptr<WritableFile>* out) override {
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC |
                (mode == CreateMode::kExclusive ? O_EXCL : mode == CreateMode::kAppend ? O_APPEND : O_TRUNC);
    int fd;
    do {
      fd = ::open(path.c_str(), flags, perms);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return Status::PosixError("open " + path, errno);
    out->reset(new PosixWritableFile(path, fd));
    return Status::Ok();
  }

  Status NewSequentialFile(const std::string& path, std::unique_ptr<SequentialFile>* out) override {
    int fd;
    do {
      fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return Status::PosixError("open " + path, errno);
    out->reset(new PosixSequentialFile(path, fd));
    return Status::Ok();
  }

  Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0)
      return Status::PosixError("rename " + from + " to " + to, errno);
    return Status::Ok();
  }

  Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Status::PosixError("unlink " + path, errno);
    return Status::Ok();
  }

  Status CreateDir(const std::string& path, int perms, bool* created) override {
    *created = false;
    if (::mkdir(path.c_str(), perms) == 0) {
      *created = true;
      return Status::Ok();
    }
    int err = errno;
    struct stat st;
    // EEXIST is the normal race between two workers creating the same day folder.
    if (err == EEXIST && ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return Status::Ok();
    return Status::PosixError("mkdir " + path, err);
  }

  Status SyncDir(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return Status::PosixError("open directory " + path, errno);
    Status s;
    if (::fsync(fd) != 0) s = Status::PosixError("fsync directory " + path, errno);
    ::close(fd);
    return s;
  }

  Status SyncFiles(const std::vector<std::string>& paths) override {
    std::vector<int> fds;
    Status s;
    for (const auto& path : paths) {
      int fd;
      do {
        fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      } while (fd < 0 && errno == EINTR);
      if (fd < 0) {
        s = Status::PosixError("open " + path + " to fsync it", errno);
        break;
      }
      fds.push_back(fd);
      // Start write-back of every file before waiting for any.
      ::sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    }
    // fdatasync of a freshly written file costs a journal commit of its own
    // on ext4 (~4 ms here), one after another in a loop. Issued from several
    // threads at once, the waiters share commits instead.
    std::vector<int> errors(fds.size(), 0);
    InParallel(fds.size(), [&](size_t i) {
      if (::fdatasync(fds[i]) != 0) errors[i] = errno;
    });
    for (size_t i = 0; i < fds.size(); ++i) {
      if (s.ok() && errors[i] != 0) s = Status::PosixError("fsync " + paths[i], errors[i]);
      ::close(fds[i]);
    }
    return s;
  }

  Status RemoveFiles(const std::vector<std::string>& paths) override {
    std::vector<int> errors(paths.size(), 0);
    InParallel(paths.size(), [&](size_t i) {
      if (::unlink(paths[i].c_str()) != 0 && errno != ENOENT) errors[i] = errno;
    });
    for (size_t i = 0; i < paths.size(); ++i)
      if (errors[i] != 0) return Status::PosixError("unlink " + paths[i], errors[i]);
    return Status::Ok();
  }

  Status ListDir(const std::string& path, std::vector<std::string>* names) override {
    names->clear();
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) return Status::PosixError("opendir " + path, errno);
    errno = 0;
    while (struct dirent* entry = ::readdir(dir)) {
      std::string name = entry->d_name;
      if (name != "." && name != "..") names->push_back(std::move(name));
    }
    int err = errno;
    ::closedir(dir);
    if (err != 0) return Status::PosixError("readdir " + path, err);
    return Status::Ok();
  }

  Status Stat(const std::string& path, FileInfo* info) override {
    *info = FileInfo();
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) return Status::Ok();
      return Status::PosixError("stat " + path, errno);
    }
    info->exists = true;
    info->is_dir = S_ISDIR(st.st_mode);
    info->size = static_cast<uint64_t>(st.st_size);
    info->mode = st.st_mode & 07777;
    info->device = static_cast<uint64_t>(st.st_dev);
    return Status::Ok();
  }

  Status OpenFileSystemSync(const std::string& dir, std::unique_ptr<FileSystemSync>* out) override {
    out->reset();
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return Status::PosixError("open directory " + dir, errno);
    struct statfs fs;
    if (::fstatfs(fd, &fs) != 0) {
      Status s = Status::PosixError("statfs " + dir, errno);
      ::close(fd);
      return s;
    }
    std::string why;
    struct stat st;
    std::string release;
    if (FileSystemWithFullSyncfs(fs.f_type) == nullptr) {
      char type[32];
      std::snprintf(type, sizeof type, "0x%lx", static_cast<unsigned long>(fs.f_type));
      why = dir + " is on a file system (type " + type + ") whose syncfs is not known to flush every file";
    } else if (fs.f_type == 0xEF53 && (::fstat(fd, &st) != 0 || !MountedByExt4Driver(st.st_dev))) {
      why = dir + " is on ext2/3 mounted by a driver other than ext4's, whose syncfs does not flush the disk cache";
    } else if (!KernelReportsSyncfsErrors(&release)) {
      why = "Linux " + release + " does not report every write-back error through syncfs (5.17 does)";
    }
    if (!why.empty()) {
      ::close(fd);
      return Status::Error(why + "; syncing file by file");
    }
    out->reset(new PosixFileSystemSync(dir, fd));
    return Status::Ok();
  }
};

}  // namespace

Env* Env::Default() {
  static PosixEnv* env = new PosixEnv();  // leaked on purpose: used until exit
  return env;
}

}  // namespace mailtee::archive
