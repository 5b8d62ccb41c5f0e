// CPU priority of the archive's background work. On a small box the proxy's
// event loop shares two CPUs with the writer, its I/O helpers and POP3
// commits. A POP3 client waits for each RETR's round trip through the loop,
// never for the archive (its QUIT waits for the commits, and a session stops
// taking commands while 64 are pending), so that work runs at a lower
// priority: it still gets every CPU cycle the loop and the peers leave, but a
// waking loop is not kept waiting behind it. SMTP seals and commits are on
// the client's path and keep normal priority.
//
// Measured (POP3, 10 KB, one session, medians of 9 interleaved runs; the
// machine's speed moved a lot between days): normal priority 1870 msg/s
// against 2467 with all of it at nice 19, and on a slower day 1730 against
// 1866 with this split. The writer stays at nice 10: SMTP commits block on
// its queue when it falls 1024 messages behind.
#pragma once

namespace mailtee::archive {

inline constexpr int kWriterNice = 10;        // mt-writer, mt-io-helper
inline constexpr int kReceivedCommitNice = 19; // a POP3 commit on a shared worker thread

// For threads that only ever do background work (mt-writer, mt-io-helper).
void LowerThisThreadPriority(int nice);

// Lowers the calling (shared worker) thread's priority for a scope and puts
// it back after. Does nothing where the process could not put it back (not
// root and RLIMIT_NICE too low), so a shared thread never stays lowered.
class BackgroundPriorityScope {
 public:
  explicit BackgroundPriorityScope(int nice);
  ~BackgroundPriorityScope();
  BackgroundPriorityScope(const BackgroundPriorityScope&) = delete;
  BackgroundPriorityScope& operator=(const BackgroundPriorityScope&) = delete;

 private:
  bool lowered_ = false;
  int previous_ = 0;
};

}  // namespace mailtee::archive
