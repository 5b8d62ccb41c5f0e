#include "proxy/approval/approval_log.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "archive/log_book.h"

namespace mailtee::approval {
namespace {

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\', out += c;
    else if (c == '\r') out += "\\r";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out + "\"";
}

// A value without spaces stays bare; anything else is quoted (and its line breaks escaped).
std::string Value(const std::string& s) {
  if (s.empty()) return "\"\"";
  for (char c : s) {
    if (c == ' ' || c == '"' || c == '\r' || c == '\n' || c == '\t') return Quote(s);
  }
  return s;
}

struct tm Local(std::chrono::system_clock::time_point t) {
  const time_t tt = std::chrono::system_clock::to_time_t(t);
  struct tm tm;
  localtime_r(&tt, &tm);
  return tm;
}

std::string Timestamp(std::chrono::system_clock::time_point t) {
  struct tm tm = Local(t);
  const long ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  const long off = tm.tm_gmtoff / 60;
  char buf[64];
  snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03ld%c%02ld:%02ld", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms, off < 0 ? '-' : '+', (off < 0 ? -off : off) / 60,
           (off < 0 ? -off : off) % 60);
  return buf;
}

}  // namespace

ApprovalLog::ApprovalLog(std::string logs_dir, int retention_days, bool echo_to_stderr, Clock clock)
    : dir_(std::move(logs_dir) + "/approval"),
      retention_days_(retention_days),
      echo_(echo_to_stderr),
      clock_(clock ? std::move(clock) : [] { return std::chrono::system_clock::now(); }) {}

Status ApprovalLog::Open() {
  const std::string parent = dir_.substr(0, dir_.rfind('/'));
  for (const std::string& d : {parent, dir_}) {
    if (mkdir(d.c_str(), 0700) != 0 && errno != EEXIST) return Status::PosixError("mkdir " + d, errno);
  }
  return Status::Ok();
}

std::string ApprovalLog::PathFor(std::chrono::system_clock::time_point t) const {
  struct tm tm = Local(t);
  char buf[40];  // room for any int the compiler cannot rule out, not just real dates
  snprintf(buf, sizeof buf, "%04d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  return dir_ + "/" + buf + ".log";
}

std::string ApprovalLog::Format(const ApprovalEvent& e) {
  std::string line = e.event;
  if (!e.held_id.empty()) line += " id=" + Value(e.held_id);
  if (!e.actor.empty()) line += " by=" + Value(e.actor);
  if (!e.on_behalf_of.empty()) line += " for=" + Value(e.on_behalf_of);
  if (!e.client_ip.empty()) line += " ip=" + Value(e.client_ip);
  if (!e.via.empty()) line += " via=" + Value(e.via);
  if (!e.sender.empty()) line += " from=" + Value(e.sender);
  if (!e.recipients.empty()) {
    std::string to;
    for (size_t i = 0; i < e.recipients.size(); ++i) to += (i ? "," : "") + e.recipients[i];
    line += " to=" + Value(to);
  }
  if (!e.subject.empty()) line += " subject=" + Quote(e.subject);
  if (!e.reason.empty()) line += " reason=" + Quote(e.reason);
  return line;
}

Status ApprovalLog::Write(const ApprovalEvent& event) {
  const auto now = clock_();
  // Subjects and addresses come from mail: control bytes are escaped like every log's.
  const std::string line = Timestamp(now) + " " + archive::EscapeLogText(Format(event)) + "\n";
  std::lock_guard<std::mutex> lock(mu_);
  if (echo_) std::fputs(line.c_str(), stderr);
  const std::string path = PathFor(now);
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  Status s;
  if (fd < 0) {
    s = Status::PosixError("open approval log " + path, errno);
  } else {
    if (write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size()) || fsync(fd) != 0) {
      s = Status::PosixError("write approval log " + path, errno);
    }
    close(fd);
  }
  if (!s.ok() && !reported_failure_) {
    reported_failure_ = true;
    std::fprintf(stderr, "mailtee: %s (further approval log failures are not repeated)\n", s.message().c_str());
  }
  std::lock_guard<std::mutex> observers_lock(observers_mu_);
  for (const auto& [id, observer] : observers_) observer(event);
  return s;
}

int ApprovalLog::AddObserver(Observer observer) {
  std::lock_guard<std::mutex> lock(observers_mu_);
  const int id = next_observer_++;
  observers_.emplace(id, std::move(observer));
  return id;
}

void ApprovalLog::RemoveObserver(int id) {
  std::lock_guard<std::mutex> lock(observers_mu_);
  observers_.erase(id);
}

void ApprovalLog::Prune() {
  const std::string oldest = PathFor(clock_() - std::chrono::hours(24) * retention_days_);
  const std::string oldest_name = oldest.substr(oldest.rfind('/') + 1);
  std::lock_guard<std::mutex> lock(mu_);
  DIR* d = opendir(dir_.c_str());
  if (d == nullptr) return;
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    // YYYYMMDD.log sorts by date as text.
    if (name.size() == 12 && name.compare(8, 4, ".log") == 0 && name < oldest_name) {
      unlink((dir_ + "/" + name).c_str());
    }
  }
  closedir(d);
}

}  // namespace mailtee::approval
