// ArchiveSizeProbe: the archive-size gauges of /metrics. Walking the archive
// folder costs one stat per file, so it runs on a libuv worker thread every
// few minutes, never on a scrape and never on the event loop:
//
//   mailtee_archive_bytes                  bytes of all files under <storage>/archive
//   mailtee_archive_messages               .eml files there
//   mailtee_archive_scan_timestamp_seconds when the figures were taken (0: not yet)
//   mailtee_archive_scan_errors_total      walks that failed (unreadable folder)
//
//   ArchiveSizeProbe probe(loop, storage_dir + "/archive", &metrics, 300 * 1000);
//   probe.Start();  ...  probe.Stop();   // on the loop thread, before the loop ends
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "admin/metrics.h"
#include "config/status.h"

typedef struct uv_loop_s uv_loop_t;
typedef struct uv_timer_s uv_timer_t;

namespace mailtee::admin {

struct ArchiveSize {
  uint64_t bytes = 0;
  uint64_t messages = 0;
};

// Synchronous walk (the worker's job; also for tests). A missing folder is an
// empty archive; files that vanish during the walk (retention) are skipped.
Status MeasureArchive(const std::string& archive_dir, ArchiveSize* out);

class ArchiveSizeProbe {
 public:
  ArchiveSizeProbe(uv_loop_t* loop, std::string archive_dir, Metrics* metrics, uint64_t interval_ms);
  ~ArchiveSizeProbe();  // Stop()s
  void Start();         // measures now, then every interval
  void Stop();          // a walk in flight finishes on its worker; its result is dropped

 private:
  struct Shared;  // outlives the probe while a walk is in flight
  static void OnTimer(uv_timer_t* timer);
  void Scan();

  uv_loop_t* loop_;
  std::string archive_dir_;
  uint64_t interval_ms_;
  uv_timer_t* timer_ = nullptr;
  std::shared_ptr<Shared> shared_;
};

}  // namespace mailtee::admin
