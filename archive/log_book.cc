#include "archive/log_book.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <utility>
#include <vector>

#include "archive/local_time.h"
#include "archive/session_event.h"

namespace mailtee::archive {
namespace {

constexpr LogKind kAllKinds[] = {LogKind::kConnections, LogKind::kReceived, LogKind::kRelayed, LogKind::kFailed,
                                 LogKind::kPop3,        LogKind::kTranscript, LogKind::kSystem,
                                 LogKind::kAdmin,       LogKind::kApproval};
constexpr int kKindCount = sizeof(kAllKinds) / sizeof(kAllKinds[0]);

// "YYYYMMDD.log" -> true
bool IsDailyLogName(const std::string& name) {
  if (name.size() != 12 || name.compare(8, 4, ".log") != 0) return false;
  for (int i = 0; i < 8; ++i)
    if (name[i] < '0' || name[i] > '9') return false;
  return true;
}

// The local date `days` calendar days before t, as YYYYMMDD (DST-safe: noon).
std::string DayStampDaysBefore(std::chrono::system_clock::time_point t, int days) {
  time_t seconds = std::chrono::system_clock::to_time_t(t);
  struct tm local;
  localtime_r(&seconds, &local);
  local.tm_mday -= days;
  local.tm_hour = 12;
  local.tm_min = local.tm_sec = 0;
  local.tm_isdst = -1;
  time_t shifted = mktime(&local);
  return LocalDayStamp(std::chrono::system_clock::from_time_t(shifted));
}

}  // namespace

const char* LogKindName(LogKind kind) {
  switch (kind) {
    case LogKind::kConnections: return "connections";
    case LogKind::kReceived: return "received";
    case LogKind::kRelayed: return "relayed";
    case LogKind::kFailed: return "failed";
    case LogKind::kPop3: return "pop3";
    case LogKind::kTranscript: return "transcript";
    case LogKind::kSystem: return "system";
    case LogKind::kAdmin: return "admin";
    case LogKind::kApproval: return "approval";
  }
  return "system";
}

struct LogBook::Impl {
  std::string dir;
  int retention_days;
  bool echo;
  Clock clock;
  std::mutex mu;
  struct OpenFile {
    int fd = -1;
    std::string day;  // YYYYMMDD the fd belongs to
  };
  OpenFile files[kKindCount];
  bool failure_reported = false;
  // Separate from mu so an observer never waits on file I/O of another line.
  std::mutex observers_mu;
  std::vector<std::pair<int, Observer>> observers;
  int next_observer_id = 1;

  void Notify(LogKind kind, std::string_view line, const SessionEvent* event) {
    std::lock_guard<std::mutex> lock(observers_mu);
    for (auto& [id, observer] : observers) observer(kind, line, event);
  }

  std::string KindDir(LogKind kind) const { return dir + "/" + LogKindName(kind); }

  void ReportFailureOnce(const std::string& what, int err) {
    if (failure_reported) return;
    failure_reported = true;
    std::fprintf(stderr, "mailtee: log book: %s: %s (further log write errors are not reported)\n", what.c_str(),
                 std::strerror(err));
  }

  // Returns the fd for kind on day, reopening when the date changed; -1 on failure.
  int FileFor(LogKind kind, const std::string& day) {
    OpenFile& f = files[static_cast<int>(kind)];
    if (f.fd >= 0 && f.day == day) return f.fd;
    if (f.fd >= 0) ::close(f.fd);
    f.fd = -1;
    std::string path = KindDir(kind) + "/" + day + ".log";
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0 && errno == ENOENT) {  // the folder was removed under us: make it again
      ::mkdir(dir.c_str(), 0750);
      ::mkdir(KindDir(kind).c_str(), 0750);
      fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    }
    if (fd < 0) {
      ReportFailureOnce("open " + path, errno);
      return -1;
    }
    f.fd = fd;
    f.day = day;
    return fd;
  }
};

LogBook::LogBook(std::string dir, int retention_days, bool echo_to_stderr)
    : LogBook(std::move(dir), retention_days, echo_to_stderr, [] { return std::chrono::system_clock::now(); }) {}

LogBook::LogBook(std::string dir, int retention_days, bool echo_to_stderr, Clock clock) : impl_(new Impl) {
  impl_->dir = std::move(dir);
  impl_->retention_days = retention_days;
  impl_->echo = echo_to_stderr;
  impl_->clock = std::move(clock);
}

LogBook::~LogBook() {
  for (auto& f : impl_->files)
    if (f.fd >= 0) ::close(f.fd);
}

Status LogBook::Open() {
  if (::mkdir(impl_->dir.c_str(), 0750) != 0 && errno != EEXIST)
    return Status::PosixError("mkdir " + impl_->dir, errno);
  for (LogKind kind : kAllKinds) {
    std::string sub = impl_->KindDir(kind);
    if (::mkdir(sub.c_str(), 0750) != 0 && errno != EEXIST) return Status::PosixError("mkdir " + sub, errno);
  }
  return Status::Ok();
}

std::string EscapeLogText(std::string_view line) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(line.size());
  auto hex = [&](unsigned char c) {
    out += "\\x";
    out += kHex[c >> 4];
    out += kHex[c & 15];
  };
  for (size_t i = 0; i < line.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(line[i]);
    if (c == '\n') {
      out += "\\n";  // one event per line: multi-line replies stay visible
    } else if (c == '\r') {
      if (i + 1 < line.size() && line[i + 1] == '\n') continue;  // CRLF: written as its "\n"
      out += "\\r";
    } else if ((c < 0x20 && c != '\t') || c == 0x7f) {
      hex(c);  // ESC, NUL, BEL...: a terminal would act on them
    } else if (c == 0xc2 && i + 1 < line.size() && static_cast<unsigned char>(line[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(line[i + 1]) <= 0x9f) {
      hex(c);  // U+0080-U+009F: C1 controls (U+009B is a CSI to some terminals)
      hex(static_cast<unsigned char>(line[++i]));
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

void LogBook::Write(LogKind kind, std::string_view line) { WriteLine(kind, line, nullptr); }

void LogBook::Record(const SessionEvent& event) {
  const std::string line = event.Render();
  WriteLine(event.kind, line, &event);
}

void LogBook::WriteLine(LogKind kind, std::string_view raw, const SessionEvent* event) {
  auto now = impl_->clock();
  // Transcripts carry raw protocol lines: credentials are masked here even if
  // the caller forgot to.
  const std::string line = EscapeLogText(kind == LogKind::kTranscript ? MaskSecrets(raw) : std::string(raw));
  std::string text = LocalIsoTimestamp(now);
  text += ' ';
  text += line;
  text += '\n';

  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (impl_->echo) std::fwrite(text.data(), 1, text.size(), stderr);
    int fd = impl_->FileFor(kind, LocalDayStamp(now));
    std::string_view rest = fd < 0 ? std::string_view() : std::string_view(text);
    while (!rest.empty()) {
      ssize_t n = ::write(fd, rest.data(), rest.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        impl_->ReportFailureOnce(std::string("write to ") + LogKindName(kind) + " log", errno);
        break;
      }
      rest.remove_prefix(static_cast<size_t>(n));
    }
  }
  // The event happened even if the disk refused the line: observers still count it.
  impl_->Notify(kind, line, event);
}

int LogBook::AddObserver(Observer observer) {
  std::lock_guard<std::mutex> lock(impl_->observers_mu);
  int id = impl_->next_observer_id++;
  impl_->observers.emplace_back(id, std::move(observer));
  return id;
}

void LogBook::RemoveObserver(int id) {
  std::lock_guard<std::mutex> lock(impl_->observers_mu);
  auto& list = impl_->observers;
  for (auto it = list.begin(); it != list.end(); ++it) {
    if (it->first == id) {
      list.erase(it);
      return;
    }
  }
}

void LogBook::Prune() {
  if (impl_->retention_days <= 0) return;  // 0: keep forever
  std::string oldest_kept = DayStampDaysBefore(impl_->clock(), impl_->retention_days);
  std::lock_guard<std::mutex> lock(impl_->mu);
  for (LogKind kind : kAllKinds) {
    std::string sub = impl_->KindDir(kind);
    DIR* d = ::opendir(sub.c_str());
    if (d == nullptr) continue;
    std::vector<std::string> doomed;
    while (struct dirent* entry = ::readdir(d)) {
      std::string name = entry->d_name;
      if (IsDailyLogName(name) && name.substr(0, 8) < oldest_kept) doomed.push_back(name);
    }
    ::closedir(d);
    for (const auto& name : doomed) {
      std::string path = sub + "/" + name;
      if (::unlink(path.c_str()) != 0 && errno != ENOENT) impl_->ReportFailureOnce("unlink " + path, errno);
    }
  }
}

}  // namespace mailtee::archive
