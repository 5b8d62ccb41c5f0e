#include "admin/api/approval_history.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>

namespace mailtee::admin {
namespace {

constexpr off_t kMaxTailBytes = 4 << 20;

// Reads at most the last kMaxTailBytes of path, dropping a first line cut by
// the window. A missing file is empty (no events that day).
Status ReadTail(const std::string& path, std::string* out) {
  out->clear();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? Status::Ok() : Status::PosixError("open " + path, errno);
  struct stat st {};
  fstat(fd, &st);
  const off_t start = st.st_size > kMaxTailBytes ? st.st_size - kMaxTailBytes : 0;
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
  if (start > 0) {
    const size_t nl = out->find('\n');
    out->erase(0, nl == std::string::npos ? out->size() : nl + 1);
  }
  return Status::Ok();
}

// YYYYMMDD of the local date `back` calendar days before now's (mktime
// normalises the day of month, noon keeps DST shifts off the date line).
std::string DayName(time_t now, int back) {
  struct tm local {};
  localtime_r(&now, &local);
  local.tm_mday -= back;
  local.tm_hour = 12;
  local.tm_min = local.tm_sec = 0;
  local.tm_isdst = -1;
  const time_t t = mktime(&local);
  localtime_r(&t, &local);
  char buf[16];
  strftime(buf, sizeof buf, "%Y%m%d", &local);
  return buf;
}

}  // namespace

bool ParseApprovalLogLine(const std::string& line, ApprovalLogEvent* out) {
  *out = ApprovalLogEvent();
  const size_t sp1 = line.find(' ');
  if (sp1 == std::string::npos || sp1 < 10 || line[4] != '-') return false;
  out->time = line.substr(0, sp1);
  size_t pos = sp1 + 1;
  const size_t sp2 = line.find(' ', pos);
  out->event = line.substr(pos, sp2 == std::string::npos ? std::string::npos : sp2 - pos);
  if (out->event.empty()) return false;
  pos = sp2 == std::string::npos ? line.size() : sp2 + 1;
  while (pos < line.size()) {
    const size_t eq = line.find('=', pos);
    if (eq == std::string::npos) return false;
    const std::string key = line.substr(pos, eq - pos);
    std::string value;
    pos = eq + 1;
    if (pos < line.size() && line[pos] == '"') {
      ++pos;
      while (pos < line.size() && line[pos] != '"') {
        if (line[pos] == '\\' && pos + 1 < line.size()) {
          const char next = line[++pos];
          value += next == 'n' ? '\n' : next == 'r' ? '\r' : next;
        } else {
          value += line[pos];
        }
        ++pos;
      }
      ++pos;  // closing quote
    } else {
      const size_t end = line.find(' ', pos);
      value = line.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
      pos = end == std::string::npos ? line.size() : end;
    }
    out->fields[key] = value;
    while (pos < line.size() && line[pos] == ' ') ++pos;
  }
  return true;
}

Status ReadApprovalHistory(const std::string& storage_dir, int days, time_t now, size_t max_events,
                           std::vector<ApprovalLogEvent>* out, bool* truncated) {
  out->clear();
  *truncated = false;
  for (int back = 0; back < days; ++back) {
    const std::string day = DayName(now, back);
    std::string text;
    Status s = ReadTail(storage_dir + "/logs/approval/" + day + ".log", &text);
    if (!s.ok()) return s;
    std::vector<std::string_view> lines;
    for (size_t pos = 0; pos < text.size();) {
      size_t nl = text.find('\n', pos);
      if (nl == std::string::npos) nl = text.size();
      lines.emplace_back(text.data() + pos, nl - pos);
      pos = nl + 1;
    }
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) {  // newest first
      ApprovalLogEvent e;
      if (!ParseApprovalLogLine(std::string(*it), &e)) continue;
      if (out->size() >= max_events) {
        *truncated = true;
        return Status::Ok();
      }
      out->push_back(std::move(e));
    }
  }
  return Status::Ok();
}

}  // namespace mailtee::admin
