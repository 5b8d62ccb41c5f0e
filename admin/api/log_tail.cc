#include "admin/api/log_tail.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace mailtee::admin {

Status ReadLogTail(const std::string& path, std::string* out) {
  out->clear();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? Status::Ok() : Status::PosixError("open " + path, errno);
  struct stat st {};
  fstat(fd, &st);
  const off_t window = static_cast<off_t>(kMaxLogTailBytes);
  const off_t start = st.st_size > window ? st.st_size - window : 0;
  out->resize(static_cast<size_t>(st.st_size - start));
  size_t got = 0;
  while (got < out->size()) {
    ssize_t n = ::pread(fd, out->data() + got, out->size() - got, start + static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  out->resize(got);
  if (start > 0) {  // the first line was cut by the window
    const size_t nl = out->find('\n');
    out->erase(0, nl == std::string::npos ? out->size() : nl + 1);
  }
  return Status::Ok();
}

}  // namespace mailtee::admin
