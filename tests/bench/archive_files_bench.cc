// Archive folder benchmarks (Google Benchmark), and the synthetic archive
// generator they use.
//
//   BM_Generate   writes N messages as the store would leave them: .eml files
//                 (2-64 KB, some with an attachment part), their XML reports,
//                 and a matching hash-chained ledger.log
//   BM_Reindex    `mailtee archive reindex`: rebuild index/search from the reports
//   BM_Verify     `mailtee archive verify` with the index: every file hashed and
//                 checked against reports, ledger and index; MB/s and the peak
//                 RSS of a child process that runs only the verify
//
// N = MAILTEE_ARCHIVE_BENCH_N (default 2000; 100000 with MAILTEE_BENCH_FULL=1);
// MAILTEE_ARCHIVE_BENCH_SMALL=1 makes every message 1 KB (per-message costs).
// Files are read back warm from the page cache (just written): MB/s is the
// hashing + parsing rate, an upper bound for a cold disk.
//
// Generator only (for trying the CLI on a big archive):
//   archive_files_bench --generate STORAGE_DIR N
//   mailtee archive verify --storage STORAGE_DIR
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "archive/index_db.h"
#include "archive/index_record.h"
#include "archive/index_sink.h"
#include "archive/ledger.h"
#include "archive/ledger_hash.h"
#include "archive/reindex.h"
#include "archive/report.h"
#include "archive/verify.h"

namespace {

namespace fs = std::filesystem;
using namespace mailtee::archive;
using mailtee::Status;

constexpr int64_t kStartMs = 1767225600000;  // 2026-01-01T00:00:00Z
const char* kWords[] = {"会議", "予約", "請求書", "見積", "report", "invoice", "meeting", "schedule", "契約", "確認"};

size_t FileCount() {
  if (const char* full = std::getenv("MAILTEE_BENCH_FULL"); full && std::string(full) == "1") return 100'000;
  if (const char* n = std::getenv("MAILTEE_ARCHIVE_BENCH_N")) return std::max(10L, std::atol(n));
  return 2000;
}

// MAILTEE_ARCHIVE_BENCH_SMALL=1: 1 KB messages, to measure per-message costs
// (verify's memory, reindex rate) at counts whose full-size files would not fit.
bool SmallMessages() {
  const char* v = std::getenv("MAILTEE_ARCHIVE_BENCH_SMALL");
  return v && std::string(v) == "1";
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", path.c_str());
    std::abort();
  }
}

struct Generated {
  uint64_t messages = 0, bytes = 0;
  double seconds = 0;
};

// N messages over 50 users and a year, under storage/archive, plus ledger.log.
Generated Generate(const std::string& storage, size_t n) {
  auto start = std::chrono::steady_clock::now();
  Generated g;
  std::mt19937_64 rng(42);
  fs::create_directories(storage + "/index");
  std::ofstream ledger(LedgerPath(storage), std::ios::binary | std::ios::trunc);
  std::string prev = kLedgerGenesisHash;
  std::string body_line(76, 'A');
  for (size_t i = 0; i < n; ++i) {
    const int64_t t = kStartMs + static_cast<int64_t>(i) * (365LL * 86'400'000 / static_cast<int64_t>(n));
    const std::string utc = FormatUtcTime(t);  // 2026-01-01T00:00:00Z
    char id[40];
    std::snprintf(id, sizeof id, "%c%c%c%c%c%c%c%cT%c%c%c%c%c%cZ-%012zx", utc[0], utc[1], utc[2], utc[3], utc[5], utc[6],
                  utc[8], utc[9], utc[11], utc[12], utc[14], utc[15], utc[17], utc[18], i);
    const std::string user = "user" + std::to_string(rng() % 50);
    const bool attachment = rng() % 4 == 0;
    const std::string subject = std::string("【") + kWords[rng() % 10] + "】" + kWords[rng() % 10] + " no." +
                                std::to_string(i);
    std::string eml = "From: " + user + "@example.jp\r\nTo: partner" + std::to_string(rng() % 500) +
                      "@customer.co.jp\r\nSubject: " + subject + "\r\nMessage-ID: <" + id + "@example.jp>\r\n\r\n";
    const size_t size = SmallMessages() ? 1024 : 2048 + rng() % (62 * 1024);
    while (eml.size() < size) {
      for (char& c : body_line) c = static_cast<char>('A' + rng() % 26);
      eml += body_line + "\r\n";
    }
    Report r;
    r.id = id;
    r.user = user;
    r.direction = rng() % 2 ? "sent" : "received";
    r.protocol = r.direction == "sent" ? "smtp" : "pop3";
    r.listener = "bench";
    r.client_ip = "192.0.2.1";
    r.received_at = utc;
    r.envelope_from = user + "@example.jp";
    r.envelope_to = {"partner@customer.co.jp"};
    r.summary.from = {user + "@example.jp"};
    r.summary.to = r.envelope_to;
    r.summary.subject = subject;
    r.summary.message_id = std::string("<") + id + "@example.jp>";
    r.summary.size = eml.size();
    r.summary.sha256_hex = Sha256Hex(eml);
    if (attachment) r.summary.attachments.push_back({"見積書.pdf", eml.size() / 2, "application/pdf"});
    r.outcome = "relayed";
    const std::string xml = RenderReportXml(r);
    const std::string dir = "archive/" + user + "/" + utc.substr(0, 4) + "/" + utc.substr(5, 2) + "/" + utc.substr(8, 2);
    fs::create_directories(storage + "/" + dir);
    const std::string rel_eml = dir + "/" + id + ".eml", rel_xml = dir + "/" + id + ".xml";
    WriteFile(storage + "/" + rel_eml, eml);
    WriteFile(storage + "/" + rel_xml, xml);
    LedgerEntry e{.seq = i + 1, .time = utc, .action = kLedgerActionArchive, .id = id, .eml_path = rel_eml,
                  .report_path = rel_xml, .message_sha256 = r.summary.sha256_hex, .report_sha256 = Sha256Hex(xml),
                  .prev_hash = prev, .entry_hash = ""};
    const std::string line = LedgerHashedPart(e);
    prev = Sha256Hex(line);
    ledger << line << prev << "\n";
    g.bytes += eml.size() + xml.size();
    ++g.messages;
  }
  ledger.close();
  g.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return g;
}

struct Fixture {
  std::string storage;
  Generated generated;
  Fixture() {
    storage = (fs::temp_directory_path() / ("mailtee-archive-bench-" + std::to_string(getpid()))).string();
    fs::remove_all(storage);
    generated = Generate(storage, FileCount());
    std::fprintf(stderr, "archive_files_bench: generated %llu messages, %.1f MB in %.1f s under %s\n",
                 static_cast<unsigned long long>(generated.messages), generated.bytes / 1e6, generated.seconds,
                 storage.c_str());
  }
  ~Fixture() { fs::remove_all(storage); }
};

Fixture& Shared() {
  static Fixture* f = new Fixture();
  return *f;
}

void BM_Generate(benchmark::State& state) {
  Fixture& f = Shared();
  for (auto _ : state) benchmark::DoNotOptimize(f.generated);
  state.counters["messages"] = static_cast<double>(f.generated.messages);
  state.counters["MB"] = f.generated.bytes / 1e6;
  state.counters["seconds"] = f.generated.seconds;
}

void BM_Reindex(benchmark::State& state) {
  Fixture& f = Shared();
  ReindexStats stats;
  for (auto _ : state) {
    Status s = Reindex(f.storage, nullptr, &stats);
    if (!s.ok() || !stats.skipped.empty()) state.SkipWithError(("reindex failed: " + s.ToString()).c_str());
  }
  state.counters["messages"] = static_cast<double>(stats.messages);
  state.counters["seconds"] = stats.seconds;
  state.counters["msgs_per_s"] = stats.seconds > 0 ? stats.messages / stats.seconds : 0;
}

long MaxRssKb() {
  struct rusage u {};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

// Verify in a child process, so its peak RSS is its own (plus the small
// benchmark process it forked from, reported as baseline).
void BM_Verify(benchmark::State& state) {
  Fixture& f = Shared();
  ReindexStats reindexed;
  if (!fs::exists(SearchIndexDir(f.storage)) && !Reindex(f.storage, nullptr, &reindexed).ok()) {
    state.SkipWithError("reindex failed");
    return;
  }
  double seconds = 0, mb = 0;
  long child_rss_kb = 0;
  int problems = -1;
  for (auto _ : state) {
    int pipefd[2];
    if (pipe(pipefd) != 0) std::abort();
    pid_t pid = fork();
    if (pid == 0) {
      close(pipefd[0]);
      std::unique_ptr<ArchiveIndex> index;
      ArchiveIndex::Options o;
      o.create_if_missing = false;
      if (!ArchiveIndex::Open(SearchIndexDir(f.storage), o, &index).ok()) _exit(2);
      VerifyOptions options;
      options.index = index.get();
      VerifyResult result;
      if (!VerifyArchive(f.storage, options, &result).ok()) _exit(3);
      double out[3] = {result.seconds, result.bytes / 1e6, static_cast<double>(result.problems.size())};
      if (write(pipefd[1], out, sizeof out) != sizeof out) _exit(4);
      _exit(0);
    }
    close(pipefd[1]);
    double in[3] = {};
    const bool got = read(pipefd[0], in, sizeof in) == sizeof in;
    close(pipefd[0]);
    int wstatus = 0;
    struct rusage usage {};
    wait4(pid, &wstatus, 0, &usage);
    if (!got || !WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
      state.SkipWithError("verify failed in the child");
      return;
    }
    seconds = in[0];
    mb = in[1];
    problems = static_cast<int>(in[2]);
    child_rss_kb = usage.ru_maxrss;
  }
  if (problems != 0) state.SkipWithError(("verify found " + std::to_string(problems) + " problems").c_str());
  state.counters["MB"] = mb;
  state.counters["seconds"] = seconds;
  state.counters["MB_per_s"] = seconds > 0 ? mb / seconds : 0;
  state.counters["files_per_s"] = seconds > 0 ? 2.0 * f.generated.messages / seconds : 0;
  state.counters["peak_rss_MB"] = child_rss_kb / 1024.0;
  state.counters["baseline_rss_MB"] = MaxRssKb() / 1024.0;
}

BENCHMARK(BM_Generate)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Reindex)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Verify)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "--generate") {
    Generated g = Generate(argv[2], static_cast<size_t>(std::atoll(argv[3])));
    std::printf("generated %llu messages, %.1f MB in %.1f s under %s\n", static_cast<unsigned long long>(g.messages),
                g.bytes / 1e6, g.seconds, argv[2]);
    return 0;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
