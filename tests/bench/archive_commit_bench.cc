// Archive commit throughput: what one SMTP message costs the store, without
// the network. T threads each run Begin -> Append (one chunk) -> SealForRelay
// -> Commit(relayed) in a loop, as T concurrent SMTP sessions would, against a
// real ArchiveStore + IndexingSink on disk (MAILTEE_BENCH_DIR, default
// /var/tmp: fsyncs are real). Prints per run:
//
//   msgs/s                 commits returned per second (the client's 250)
//   path p50/p99 ms        SealForRelay + Commit latency: what the client waits
//   fsync calls/msg        file + folder fsyncs per message, path and writer
//                          (the path's share is 4: spool, sealed, spool/, verdict)
//   drain ms               Flush() after the last commit: the writer's lag
//
// Usage: archive_commit_bench [messages=2000] [bytes=10240] [threads=20]
// The fsync counts come from FaultInjectionEnv (no faults planned), which
// counts every file-system call of the store.
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "archive/archive_store.h"
#include "archive/fault_injection_env.h"
#include "archive/index_sink.h"

namespace {

using namespace mailtee::archive;
using Clock = std::chrono::steady_clock;
using Op = FaultInjectionEnv::Op;

std::string Message(size_t bytes) {
  std::string m = "From: bench@example.test\r\nTo: sink@example.test\r\nSubject: commit bench\r\n\r\n";
  while (m.size() + 80 < bytes) m += std::string(76, 'x') + "\r\n";
  return m;
}

int SyncCount(const FaultInjectionEnv& env) { return env.count(Op::kSync) + env.count(Op::kSyncDir); }

}  // namespace

int main(int argc, char** argv) {
  const int messages = argc > 1 ? std::atoi(argv[1]) : 2000;
  const size_t bytes = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 10240;
  const int threads = argc > 3 ? std::atoi(argv[3]) : 20;
  const char* base = std::getenv("MAILTEE_BENCH_DIR");
  std::string root = std::string(base ? base : "/var/tmp") + "/mailtee-commit-bench-XXXXXX";
  if (mkdtemp(root.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  FaultInjectionEnv env(Env::Default());
  std::unique_ptr<IndexingSink> sink;
  std::unique_ptr<ArchiveStore> store;
  mailtee::Status s = IndexingSink::Open(root, &sink);
  if (s.ok()) s = ArchiveStore::Open(root, &env, nullptr, &store);
  if (!s.ok()) {
    std::fprintf(stderr, "open: %s\n", s.message().c_str());
    return 1;
  }
  store->SetIndexingSink(sink.get());
  const std::string message = Message(bytes);

  std::atomic<int> next{0}, failures{0};
  std::vector<std::vector<double>> latencies(threads);
  auto worker = [&](int t) {
    MessageContext c;
    c.protocol = "smtp";
    c.listener = "bench";
    c.user = "bench" + std::to_string(t % 4);
    c.client_ip = "127.0.0.1";
    c.envelope_from = "bench@example.test";
    c.envelope_to = {"sink@example.test"};
    while (next.fetch_add(1) < messages) {
      std::unique_ptr<Capture> capture;
      c.received_at = std::chrono::system_clock::now();
      if (!store->Begin(c, &capture).ok() || !capture->Append(message).ok()) {
        failures++;
        continue;
      }
      auto t0 = Clock::now();
      bool ok = capture->SealForRelay().ok() &&
                capture->Commit({Outcome::Kind::kRelayed, 250, "250 2.0.0 Ok", std::chrono::system_clock::now()}).ok();
      latencies[t].push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      if (!ok) failures++;
    }
  };
  const int syncs_start = SyncCount(env);
  auto start = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker, t);
  for (auto& th : pool) th.join();
  auto committed = Clock::now();
  store->Flush();
  auto drained = Clock::now();
  const int syncs_total = SyncCount(env) - syncs_start;

  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) { return all.empty() ? 0.0 : all[std::min(all.size() - 1, size_t(p * all.size()))]; };
  const double secs = std::chrono::duration<double>(committed - start).count();
  std::printf("archive commit: %d x %zu bytes, %d threads, storage %s\n", messages, bytes, threads, root.c_str());
  std::printf("  msgs/s %.0f   path p50 %.2f ms  p99 %.2f ms   fsync calls/msg %.2f (4 on the path)   drain %.1f ms   failures %d\n",
              messages / secs, pct(0.50), pct(0.99), double(syncs_total) / messages,
              std::chrono::duration<double, std::milli>(drained - committed).count(), failures.load());
  store.reset();
  sink.reset();
  std::filesystem::remove_all(root);
  return failures.load() == 0 ? 0 : 1;
}
