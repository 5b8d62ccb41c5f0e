// Ledger: the append-only, hash-chained record of every archive commit and
// purge, <storage>/index/ledger.log. One line per entry, tab-separated:
//
//   seq  time  action  id  eml_path  report_path  message_sha256  report_sha256  prev_hash  entry_hash
//
// entry_hash = SHA-256 (hex) of the line up to and including the tab before
// it, so it covers prev_hash and thereby every earlier line. Editing, deleting
// or reordering lines breaks the chain; cutting lines off the end is caught by
// comparing with the head the search index remembers (ArchiveIndex::SetLedgerHead).
// An attacker who rewrites both an .eml and its report still disagrees with
// the ledger's hashes, which verify checks.
//
// Writes go straight to POSIX (O_APPEND + fsync per entry): archive/env.h has
// no append mode. One writer at a time: Open takes an exclusive flock.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <condition_variable>
#include <mutex>
#include <string>

#include "config/status.h"

namespace mailtee::archive {

inline constexpr const char* kLedgerActionArchive = "archive";  // a new message (or refused report)
inline constexpr const char* kLedgerActionUpdate = "update";    // its report changed (e.g. a POP3 retrieval)
inline constexpr const char* kLedgerActionPurge = "purge";      // removed by retention

struct LedgerEntry {
  uint64_t seq = 0;
  std::string time;            // UTC, "2026-11-24T07:20:24.123Z"
  std::string action;
  std::string id;
  std::string eml_path;        // relative to the storage dir; "" when there is no .eml
  std::string report_path;
  std::string message_sha256;  // "" when there is no .eml
  std::string report_sha256;
  std::string prev_hash;
  std::string entry_hash;
};

inline constexpr const char* kLedgerGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

class Ledger {
 public:
  // Creates the file if missing. A torn last line (a crash mid-append, never
  // acknowledged) is cut off; *recovered (optional) tells whether that happened.
  static Status Open(const std::string& path, std::unique_ptr<Ledger>* out, bool* recovered = nullptr);
  ~Ledger();

  // Fills seq/time/prev_hash/entry_hash, writes the line and returns once it
  // is on disk. Thread-safe. Group commit: concurrent appenders write their
  // lines in order under mu_, then share one fdatasync (the first waiter syncs
  // for everyone written so far), so commits on many pool threads do not queue
  // behind one another's disk waits. A failed write or sync is sticky: the
  // file may end in a torn line, which only Open (at restart) may cut.
  // wait_durable false: the line is written but may not be on disk yet; call
  // Sync() before anything may depend on it (a batch appends N lines and
  // then pays one fdatasync).
  Status Append(LedgerEntry* entry, bool wait_durable = true);
  // Returns once every line appended so far is on disk.
  Status Sync();
  // "<seq> <entry_hash>" of the last entry; "" for an empty ledger.
  std::string Head() const;

 private:
  Ledger(std::string path, int fd, uint64_t seq, std::string hash);
  const std::string path_;
  const int fd_;
  Status WaitDurable(uint64_t seq);

  mutable std::mutex mu_;          // order of lines: seq, hash chain, writes
  uint64_t last_seq_;
  std::string last_hash_;
  Status failed_;                  // sticky write/sync error (guarded by mu_)

  std::mutex sync_mu_;             // group commit of fdatasync
  std::condition_variable synced_cv_;
  bool syncing_ = false;
  uint64_t synced_seq_;            // every line up to this seq is durable
  Status sync_failed_;             // sticky (guarded by sync_mu_)
};

// The text of an entry without its final "\t<entry_hash>\n": what entry_hash covers.
std::string LedgerHashedPart(const LedgerEntry& entry);

// Reads the ledger front to back, checking the chain. fn sees every entry that
// parses (even one whose hash is wrong, so verify can still compare files);
// problems are reported as "ledger.log line N (#seq): ...". A missing file is an
// empty ledger. *head gets "<seq> <hash>" of the last entry.
struct LedgerScan {
  uint64_t entries = 0;
  std::vector<std::string> problems;
  std::string head;
};
Status ScanLedger(const std::string& path, const std::function<void(const LedgerEntry&)>& fn, LedgerScan* scan);

}  // namespace mailtee::archive
