#include "admin/archive_size_probe.h"

#include <uv.h>

#include <chrono>
#include <filesystem>

namespace mailtee::admin {

struct ArchiveSizeProbe::Shared {
  bool alive = true;  // loop thread only
  bool scanning = false;
  GaugeValue* bytes = nullptr;
  GaugeValue* messages = nullptr;
  GaugeValue* scanned_at = nullptr;
  Counter* errors = nullptr;
};

namespace {

struct ScanJob {
  uv_work_t req;
  std::shared_ptr<void> keep;  // the probe's Shared
  std::string dir;
  ArchiveSize size;
  Status status;
};

}  // namespace

Status MeasureArchive(const std::string& archive_dir, ArchiveSize* out) {
  namespace fs = std::filesystem;
  *out = ArchiveSize();
  std::error_code ec;
  if (!fs::exists(archive_dir, ec)) return Status::Ok();
  fs::recursive_directory_iterator it(archive_dir, fs::directory_options::skip_permission_denied, ec);
  if (ec) return Status::Error("cannot read " + archive_dir + ": " + ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return Status::Error("walking " + archive_dir + ": " + ec.message());
    std::error_code file_ec;
    if (!it->is_regular_file(file_ec)) continue;
    uint64_t size = it->file_size(file_ec);
    if (file_ec) continue;  // removed by retention meanwhile
    out->bytes += size;
    if (it->path().extension() == ".eml") ++out->messages;
  }
  if (ec) return Status::Error("walking " + archive_dir + ": " + ec.message());
  return Status::Ok();
}

ArchiveSizeProbe::ArchiveSizeProbe(uv_loop_t* loop, std::string archive_dir, Metrics* metrics, uint64_t interval_ms)
    : loop_(loop), archive_dir_(std::move(archive_dir)), interval_ms_(interval_ms), shared_(std::make_shared<Shared>()) {
  shared_->bytes = metrics->GetGauge("mailtee_archive_bytes", "Bytes of all files under <storage>/archive");
  shared_->messages = metrics->GetGauge("mailtee_archive_messages", "Archived messages (.eml files)");
  shared_->scanned_at = metrics->GetGauge("mailtee_archive_scan_timestamp_seconds",
                                          "When the archive size was last measured (Unix time; 0: not yet)");
  shared_->errors = metrics->GetCounter("mailtee_archive_scan_errors_total",
                                        "Archive size walks that failed (figures kept from the last good walk)");
}

ArchiveSizeProbe::~ArchiveSizeProbe() { Stop(); }

void ArchiveSizeProbe::Start() {
  if (timer_) return;
  timer_ = new uv_timer_t;
  uv_timer_init(loop_, timer_);
  timer_->data = this;
  uv_timer_start(timer_, OnTimer, 0, interval_ms_);
}

void ArchiveSizeProbe::Stop() {
  shared_->alive = false;
  if (!timer_) return;
  uv_timer_stop(timer_);
  uv_close(reinterpret_cast<uv_handle_t*>(timer_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  timer_ = nullptr;
}

void ArchiveSizeProbe::OnTimer(uv_timer_t* timer) { static_cast<ArchiveSizeProbe*>(timer->data)->Scan(); }

void ArchiveSizeProbe::Scan() {
  if (shared_->scanning) return;  // a slow disk: never stack walks
  shared_->scanning = true;
  auto* job = new ScanJob;
  job->keep = shared_;
  job->dir = archive_dir_;
  job->req.data = job;
  uv_queue_work(
      loop_, &job->req,
      [](uv_work_t* req) {
        auto* j = static_cast<ScanJob*>(req->data);
        j->status = MeasureArchive(j->dir, &j->size);
      },
      [](uv_work_t* req, int) {
        std::unique_ptr<ScanJob> j(static_cast<ScanJob*>(req->data));
        auto* shared = static_cast<Shared*>(j->keep.get());
        shared->scanning = false;
        if (!shared->alive) return;
        if (!j->status.ok()) {  // keep the last good figures
          shared->errors->Increment();
          return;
        }
        shared->bytes->Set(static_cast<int64_t>(j->size.bytes));
        shared->messages->Set(static_cast<int64_t>(j->size.messages));
        shared->scanned_at->Set(std::chrono::duration_cast<std::chrono::seconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count());
      });
}

}  // namespace mailtee::admin
