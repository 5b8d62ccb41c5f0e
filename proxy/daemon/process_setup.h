// The process settings `mailtee run` makes before its first listener opens.
// Shared with the benchmarks' relay-only build (tests/bench/load/
// relay_only_main.cc), so the two are measured under the same settings.
#pragma once

namespace mailtee::daemon {

// Ignores SIGPIPE (a peer that hangs up is a write error, not a signal),
// sizes libuv's worker pool (UV_THREADPOOL_SIZE 32 unless the operator set it;
// before the pool's first use) and sets umask 077.
void PrepareDaemonProcess();

}  // namespace mailtee::daemon
