// LogBook: the daily log files admins grep: <storage>/logs/<kind>/YYYYMMDD.log,
// one line per event, local time, old files removed after retention_days.
// Thread-safe. Callers never pass passwords; LogBook masks AUTH payloads that
// reach it through transcripts anyway (see MaskSecrets).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "config/status.h"

namespace mailtee::archive {

enum class LogKind { kConnections, kReceived, kRelayed, kFailed, kPop3, kTranscript, kSystem, kAdmin, kApproval };
const char* LogKindName(LogKind kind);   // "connections", "received", ..., "admin", "approval"

class LogBook {
 public:
  // dir: <storage>/logs. echo_to_stderr: also print every line to stderr (daemon in foreground).
  LogBook(std::string dir, int retention_days, bool echo_to_stderr);
  // Same, with the clock injected (tests: date rollover and pruning).
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  LogBook(std::string dir, int retention_days, bool echo_to_stderr, Clock clock);
  ~LogBook();
  Status Open();
  // Appends "YYYY-MM-DDTHH:MM:SS.mmm+09:00 <line>\n" to today's file of that kind.
  void Write(LogKind kind, std::string_view line);
  // Deletes files older than retention; called daily by the daemon and at start.
  void Prune();

  // Observers see every line as written (after masking, without the
  // timestamp), on the writing thread, after the line is in the file. The
  // admin console derives its /metrics counters from them, so the proxies
  // need no dependency on admin/. An observer must be quick and thread-safe
  // and must not call Write (it runs under the observer lock).
  using Observer = std::function<void(LogKind kind, std::string_view line)>;
  // Returns an id for RemoveObserver (call it before the observer's objects die).
  int AddObserver(Observer observer);
  void RemoveObserver(int id);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Hides credentials in one protocol line before it is logged (transcripts):
//   "AUTH PLAIN AGFsaWNlAHNlY3JldA==" -> "AUTH PLAIN ****"
//   a line that is only base64 (a SASL continuation)  -> "****"
//   "PASS secret" -> "PASS ****";  "APOP alice c4c9..." -> "APOP alice ****"
// Commands are matched case-insensitively, after an optional direction
// marker such as "C: " or "> ". Plain command words (QUIT, DATA, ...) are
// not mistaken for base64.
std::string MaskSecrets(std::string_view line);

}  // namespace mailtee::archive
