#include "config/small_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace mailtee::config {

Status ReadSmallFile(const std::string& path, size_t max_bytes, std::string* out, unsigned* mode) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return Status::PosixError("cannot read " + path, errno);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    const int err = errno;
    close(fd);
    return Status::PosixError("cannot read " + path, err);
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return Status::Error("cannot read " + path + ": not a regular file");
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    close(fd);
    return Status::Error("cannot read " + path + ": larger than " + std::to_string(max_bytes) + " bytes");
  }
  if (mode != nullptr) *mode = st.st_mode & 07777;
  out->clear();
  char buf[8192];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      close(fd);
      return Status::PosixError("cannot read " + path, err);
    }
    if (n == 0) break;
    if (out->size() + static_cast<size_t>(n) > max_bytes) {  // grew while we read it
      close(fd);
      return Status::Error("cannot read " + path + ": larger than " + std::to_string(max_bytes) + " bytes");
    }
    out->append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return Status::Ok();
}

}  // namespace mailtee::config
