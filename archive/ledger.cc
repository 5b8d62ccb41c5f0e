#include "archive/ledger.h"

#include <algorithm>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <vector>

#include "archive/ledger_hash.h"

namespace mailtee::archive {
namespace {

constexpr size_t kFields = 10;
constexpr size_t kMaxLineBytes = 64 * 1024;

std::string NowUtc() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  time_t secs = static_cast<time_t>(ms / 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[40];
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms % 1000));
  return buf;
}

std::vector<std::string> SplitTabs(const std::string& line) {
  std::vector<std::string> fields;
  size_t start = 0;
  for (;;) {
    size_t tab = line.find('\t', start);
    fields.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
    if (tab == std::string::npos) return fields;
    start = tab + 1;
  }
}

bool ParseLine(const std::string& line, LedgerEntry* e) {
  std::vector<std::string> f = SplitTabs(line);
  if (f.size() != kFields || f[0].empty() || f[0].find_first_not_of("0123456789") != std::string::npos) return false;
  e->seq = std::stoull(f[0]);
  e->time = f[1];
  e->action = f[2];
  e->id = f[3];
  e->eml_path = f[4];
  e->report_path = f[5];
  e->message_sha256 = f[6];
  e->report_sha256 = f[7];
  e->prev_hash = f[8];
  e->entry_hash = f[9];
  return true;
}

bool HasSeparator(const std::string& s) { return s.find_first_of("\t\n\r") != std::string::npos; }

// The last complete line of the file and the size up to its end (a torn tail is after it).
Status ReadTail(int fd, const std::string& path, std::string* last_line, off_t* complete_size) {
  struct stat st;
  if (fstat(fd, &st) != 0) return Status::PosixError("stat " + path, errno);
  off_t size = st.st_size;
  off_t start = size > static_cast<off_t>(kMaxLineBytes) * 2 ? size - static_cast<off_t>(kMaxLineBytes) * 2 : 0;
  std::string buf(static_cast<size_t>(size - start), '\0');
  size_t got = 0;
  while (got < buf.size()) {
    ssize_t n = pread(fd, buf.data() + got, buf.size() - got, start + static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::PosixError("read " + path, errno);
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  buf.resize(got);
  size_t end = buf.rfind('\n');
  last_line->clear();
  if (end == std::string::npos) {
    *complete_size = start;
    return Status::Ok();
  }
  *complete_size = start + static_cast<off_t>(end) + 1;
  size_t begin = end == 0 ? std::string::npos : buf.rfind('\n', end - 1);
  *last_line = buf.substr(begin == std::string::npos ? 0 : begin + 1, end - (begin == std::string::npos ? 0 : begin + 1));
  return Status::Ok();
}

}  // namespace

std::string LedgerHashedPart(const LedgerEntry& e) {
  return std::to_string(e.seq) + "\t" + e.time + "\t" + e.action + "\t" + e.id + "\t" + e.eml_path + "\t" +
         e.report_path + "\t" + e.message_sha256 + "\t" + e.report_sha256 + "\t" + e.prev_hash + "\t";
}

Ledger::Ledger(std::string path, int fd, uint64_t seq, std::string hash)
    : path_(std::move(path)), fd_(fd), last_seq_(seq), last_hash_(std::move(hash)), synced_seq_(seq) {}

Ledger::~Ledger() { close(fd_); }

Status Ledger::Open(const std::string& path, std::unique_ptr<Ledger>* out, bool* recovered) {
  if (recovered) *recovered = false;
  int fd = open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status::PosixError("open ledger " + path, errno);
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    close(fd);
    return Status::PosixError("lock ledger " + path + " (another mailtee process writes it)", err);
  }
  std::string last;
  off_t complete = 0;
  Status s = ReadTail(fd, path, &last, &complete);
  struct stat st;
  if (s.ok() && fstat(fd, &st) == 0 && st.st_size != complete) {
    // A crash mid-append left part of a line that was never acknowledged.
    if (ftruncate(fd, complete) != 0 || fsync(fd) != 0) s = Status::PosixError("cut torn tail of " + path, errno);
    if (recovered) *recovered = true;
  }
  uint64_t seq = 0;
  std::string hash = kLedgerGenesisHash;
  LedgerEntry e;
  if (s.ok() && !last.empty()) {
    if (!ParseLine(last, &e)) {
      s = Status::Error("the last line of ledger " + path + " is malformed; run 'mailtee archive verify'");
    } else {
      seq = e.seq;
      hash = e.entry_hash;
    }
  }
  if (!s.ok()) {
    close(fd);
    return s;
  }
  out->reset(new Ledger(path, fd, seq, hash));
  return Status::Ok();
}

Status Ledger::Append(LedgerEntry* e, bool wait_durable) {
  for (const std::string* f : {&e->action, &e->id, &e->eml_path, &e->report_path, &e->message_sha256, &e->report_sha256})
    if (HasSeparator(*f)) return Status::Error("ledger field contains a tab or newline (message " + e->id + ")");
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!failed_.ok()) return failed_;
    e->seq = last_seq_ + 1;
    e->time = NowUtc();
    e->prev_hash = last_hash_;
    std::string line = LedgerHashedPart(*e);
    e->entry_hash = Sha256Hex(line);
    line += e->entry_hash + "\n";
    size_t done = 0;
    while (done < line.size()) {
      ssize_t n = write(fd_, line.data() + done, line.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        failed_ = Status::PosixError("append to ledger " + path_, errno);
        return failed_;
      }
      done += static_cast<size_t>(n);
    }
    last_seq_ = e->seq;
    last_hash_ = e->entry_hash;
  }
  return wait_durable ? WaitDurable(e->seq) : Status::Ok();
}

Status Ledger::Sync() {
  uint64_t seq;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!failed_.ok()) return failed_;
    seq = last_seq_;
  }
  return WaitDurable(seq);
}

Status Ledger::WaitDurable(uint64_t seq) {
  std::unique_lock<std::mutex> lock(sync_mu_);
  while (synced_seq_ < seq) {
    if (!sync_failed_.ok()) return sync_failed_;
    if (syncing_) {
      synced_cv_.wait(lock);
      continue;
    }
    // Leader: sync everything written so far, including later appenders' lines.
    syncing_ = true;
    uint64_t target;
    {
      std::lock_guard<std::mutex> order(mu_);
      target = last_seq_;
    }
    lock.unlock();
    const int rc = fdatasync(fd_);
    const int err = errno;
    lock.lock();
    syncing_ = false;
    if (rc != 0) {
      sync_failed_ = Status::PosixError("fsync ledger " + path_, err);
    } else {
      synced_seq_ = std::max(synced_seq_, target);
    }
    synced_cv_.notify_all();
  }
  return Status::Ok();
}

std::string Ledger::Head() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_seq_ == 0 ? "" : std::to_string(last_seq_) + " " + last_hash_;
}

Status ScanLedger(const std::string& path, const std::function<void(const LedgerEntry&)>& fn, LedgerScan* scan) {
  *scan = LedgerScan();
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    struct stat st;
    if (stat(path.c_str(), &st) != 0 && errno == ENOENT) return Status::Ok();
    return Status::PosixError("open ledger " + path, errno);
  }
  uint64_t expected_seq = 1;
  std::string expected_prev = kLedgerGenesisHash;
  std::string line;
  uint64_t line_no = 0;
  auto problem = [&](const std::string& what) {
    scan->problems.push_back("ledger.log line " + std::to_string(line_no) + ": " + what);
  };
  while (std::getline(in, line)) {
    ++line_no;
    if (in.eof()) {
      problem("incomplete last line (a crash during an append?)");
      break;
    }
    LedgerEntry e;
    if (line.size() > kMaxLineBytes || !ParseLine(line, &e)) {
      problem("malformed entry");
      continue;
    }
    const std::string tag = "entry #" + std::to_string(e.seq) + " (" + e.action + " " + e.id + ")";
    if (e.seq != expected_seq)
      problem(tag + ": sequence number " + std::to_string(e.seq) + " where #" + std::to_string(expected_seq) +
              " was expected (entries deleted, inserted or reordered)");
    if (e.prev_hash != expected_prev) problem(tag + ": does not chain to the entry before it");
    if (Sha256Hex(LedgerHashedPart(e)) != e.entry_hash) problem(tag + ": its hash does not match its content (edited)");
    expected_seq = e.seq + 1;
    expected_prev = e.entry_hash;
    ++scan->entries;
    scan->head = std::to_string(e.seq) + " " + e.entry_hash;
    fn(e);
  }
  if (in.bad()) return Status::PosixError("read ledger " + path, errno);
  return Status::Ok();
}

}  // namespace mailtee::archive
