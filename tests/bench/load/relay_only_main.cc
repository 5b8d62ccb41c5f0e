// mailtee_relay_only: the proxy of `mailtee run` with the archive replaced by
// a sink that counts and drops the bytes. A benchmark reference, never a
// product mode: pop3_bench.py and smtp_bench.sh run it as a fourth leg so each run splits
// mailtee's cost into "the relay" (this, against haproxy) and "the archive"
// (mailtee against this). Everything else is the real path: the same
// listeners, sessions, framer, access log, and each message's seal (SMTP)
// and commit still go through the libuv worker pool and back to the loop.
//
//   mailtee_relay_only run --config FILE     (the shape Mailtee in
//                                              tests/interop/mailtee_runner.py starts)
// SIGTERM/SIGINT drain the sessions and exit 0.
#include <signal.h>
#include <sys/stat.h>
#include <uv.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "archive/log_book.h"
#include "archive/message_sink.h"
#include "proxy/daemon/daemon.h"
#include "proxy/daemon/full_config.h"
#include "proxy/daemon/process_setup.h"

namespace {

using mailtee::Status;
namespace archive = mailtee::archive;
namespace daemon = mailtee::daemon;

class DiscardingCapture : public archive::Capture {
 public:
  const std::string& id() const override { return id_; }
  Status Append(std::string_view bytes) override {
    size_ += bytes.size();
    return Status::Ok();
  }
  uint64_t size() const override { return size_; }
  Status SealForRelay() override { return Status::Ok(); }
  Status Commit(const archive::Outcome&) override { return Status::Ok(); }
  void Abort(const std::string&) override {}

 private:
  std::string id_ = "relay-only";
  uint64_t size_ = 0;
};

class DiscardingSink : public archive::MessageSink {
 public:
  Status Begin(const archive::MessageContext&, std::unique_ptr<archive::Capture>* capture) override {
    *capture = std::make_unique<DiscardingCapture>();
    return Status::Ok();
  }
};

struct StopState {
  daemon::Daemon* daemon = nullptr;
  uv_signal_t sigterm{}, sigint{};
  bool stopping = false;
};

void OnSignal(uv_signal_t* handle, int) {
  auto* state = static_cast<StopState*>(handle->data);
  if (state->stopping) std::_Exit(1);
  state->stopping = true;
  state->daemon->Stop([state] {
    uv_close(reinterpret_cast<uv_handle_t*>(&state->sigterm), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&state->sigint), nullptr);
  });
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4 || std::strcmp(argv[1], "run") != 0 || std::strcmp(argv[2], "--config") != 0) {
    std::fprintf(stderr, "usage: %s run --config FILE\n", argv[0]);
    return 2;
  }
  daemon::FullConfig full = daemon::LoadFullConfig(argv[3]);
  for (const auto& p : full.loaded.problems) std::fprintf(stderr, "%s\n", p.ToString().c_str());
  if (!full.loaded.ok()) return 1;
  mailtee::config::Config config = std::move(full.loaded.config);
  daemon::PrepareDaemonProcess();  // as `mailtee run`
  mkdir(config.storage_dir.c_str(), 0700);
  archive::LogBook log(config.storage_dir + "/logs", config.logs.retention_days, /*echo_to_stderr=*/true);
  Status s = log.Open();
  if (!s.ok()) {
    std::fprintf(stderr, "mailtee_relay_only: %s\n", s.ToString().c_str());
    return 1;
  }
  DiscardingSink sink;
  uv_loop_t* loop = uv_default_loop();
  daemon::Daemon relay(loop, config, &sink, &log);
  s = relay.Start();
  if (!s.ok()) {
    std::fprintf(stderr, "mailtee_relay_only: cannot start: %s\n", s.ToString().c_str());
    relay.Stop(nullptr);  // closes what did open, as `mailtee run` does
    uv_run(loop, UV_RUN_DEFAULT);
    return 1;
  }
  StopState state;
  state.daemon = &relay;
  state.sigterm.data = state.sigint.data = &state;
  uv_signal_init(loop, &state.sigterm);
  uv_signal_init(loop, &state.sigint);
  uv_signal_start(&state.sigterm, OnSignal, SIGTERM);
  uv_signal_start(&state.sigint, OnSignal, SIGINT);
  log.Write(archive::LogKind::kSystem, "relay-only: ready (the archive is replaced by a discarding sink)");
  uv_run(loop, UV_RUN_DEFAULT);
  uv_loop_close(loop);
  return 0;
}
