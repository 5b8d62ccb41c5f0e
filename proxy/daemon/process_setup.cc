#include "proxy/daemon/process_setup.h"

#include <signal.h>
#include <sys/stat.h>

#include <cstdlib>

namespace mailtee::daemon {

void PrepareDaemonProcess() {
  signal(SIGPIPE, SIG_IGN);
  // Archive commits block a libuv pool thread for several fsyncs each; with
  // libuv's default of 4 threads, 20 concurrent SMTP clients would queue behind
  // each other's disk waits. More threads let the file system batch the fsyncs.
  // Must be set before the pool's first use; an operator's value wins.
  setenv("UV_THREADPOOL_SIZE", "32", /*overwrite=*/0);
  umask(077);  // archive, spool, keys and logs are for root/mailtee only
}

}  // namespace mailtee::daemon
