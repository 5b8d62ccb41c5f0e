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

struct SessionEvent;  // archive/session_event.h

class LogBook {
 public:
  // dir: <storage>/logs. echo_to_stderr: also print every line to stderr (daemon in foreground).
  LogBook(std::string dir, int retention_days, bool echo_to_stderr);
  // Same, with the clock injected (tests: date rollover and pruning).
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  LogBook(std::string dir, int retention_days, bool echo_to_stderr, Clock clock);
  ~LogBook();
  Status Open();
  // Appends "YYYY-MM-DDTHH:MM:SS.mmm+09:00 <line>\n" to today's file of that
  // kind, control bytes escaped (EscapeLogText).
  void Write(LogKind kind, std::string_view line);
  // A session's event: written as event.Render() to event.kind's file; the
  // observers get the struct with the line.
  void Record(const SessionEvent& event);
  // Deletes files older than retention; called daily by the daemon and at start.
  void Prune();

  // Observers see every line as written (after masking and escaping, without
  // the timestamp), on the writing thread, after the line is in the file, and
  // the SessionEvent it renders (null for a plain Write). The admin console
  // counts /metrics from the events, so the proxies need no dependency on
  // admin/ and no counter depends on log text. An observer must be quick and
  // thread-safe and must not call Write (it runs under the observer lock).
  using Observer = std::function<void(LogKind kind, std::string_view line, const SessionEvent* event)>;
  // Returns an id for RemoveObserver (call it before the observer's objects die).
  int AddObserver(Observer observer);
  void RemoveObserver(int id);

 private:
  void WriteLine(LogKind kind, std::string_view line, const SessionEvent* event);
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

// Makes one log line safe to print on a terminal and to read as one line, for
// every log writer (LogBook, the approval log): LF and CRLF become "\n", a lone
// CR "\r", other control bytes (C0 but TAB, DEL, and the UTF-8 encoded C1
// controls U+0080-U+009F) "\x1b"-style escapes. Everything else is kept as is,
// so UTF-8 text (Japanese subjects and names) stays readable.
std::string EscapeLogText(std::string_view line);

}  // namespace mailtee::archive
