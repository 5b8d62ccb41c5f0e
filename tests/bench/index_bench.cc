// Archive search index benchmarks (Google Benchmark).
//
//   BM_IndexAdd        add throughput: records built like ArchiveIndex::Add, unsynced batch load (reindex path)
//   BM_SearchUserRange user + one-week date range, first page of 50
//   BM_SearchSubjectJa a Japanese 2-character word (one bigram posting list)
//   BM_SearchAddress   sender address
//   BM_SearchCombined  user + subject word + recipient domain
//
// The synthetic index holds MAILTEE_INDEX_BENCH_N messages (default 100000;
// 1000000 when MAILTEE_BENCH_FULL=1), spread over 200 users and one year. It
// is built once through ArchiveIndex (no files). Each search benchmark also
// prints p50/p99 latency in microseconds as counters.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "archive/index_db.h"
#include "archive/index_record.h"

namespace {

using mailtee::archive::ArchiveIndex;
using mailtee::archive::IndexRecord;
using mailtee::archive::Query;
using mailtee::archive::ResultPage;

constexpr int64_t kStartMs = 1767225600000;  // 2026-01-01T00:00:00Z
constexpr int64_t kYearMs = 365LL * 86'400'000;
const char* kWords[] = {"会議", "予約", "請求書", "見積", "report", "invoice", "meeting", "schedule", "契約", "確認"};

size_t MessageCount() {
  if (const char* full = std::getenv("MAILTEE_BENCH_FULL"); full && std::string(full) == "1") return 1'000'000;
  if (const char* n = std::getenv("MAILTEE_INDEX_BENCH_N")) return std::max(1000L, std::atol(n));
  return 100'000;
}

IndexRecord Synthetic(size_t i, std::mt19937_64& rng) {
  IndexRecord r;
  char id[64];
  r.time_ms = kStartMs + static_cast<int64_t>(rng() % kYearMs);
  std::snprintf(id, sizeof id, "%013lldZ-%012zx", static_cast<long long>(r.time_ms), i);
  r.id = id;
  r.user = "user" + std::to_string(rng() % 200);
  r.direction = rng() % 2 ? "sent" : "received";
  r.received_at = mailtee::archive::FormatUtcTime(r.time_ms);
  r.envelope_from = r.user + "@example.jp";
  r.from = {"Name <" + r.envelope_from + ">"};
  r.to = {"partner" + std::to_string(rng() % 5000) + "@customer" + std::to_string(rng() % 300) + ".co.jp"};
  r.envelope_to = r.to;
  r.subject = std::string("【") + kWords[rng() % 10] + "】" + kWords[rng() % 10] + "の件 " + kWords[rng() % 10] +
              " no." + std::to_string(rng() % 10000);
  r.size = 2000 + rng() % 100000;
  r.sha256_hex = std::to_string(i) + std::string(56, 'a');
  r.attachment_count = rng() % 4 == 0;
  r.outcome = "relayed";
  r.eml_path = "archive/" + r.user + "/" + r.id + ".eml";
  r.report_path = "archive/" + r.user + "/" + r.id + ".xml";
  return r;
}

struct Fixture {
  std::string dir;
  std::unique_ptr<ArchiveIndex> index;
  double add_per_sec = 0;
  Fixture() {
    dir = std::filesystem::temp_directory_path() / ("mailtee-index-bench-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir);
    if (!ArchiveIndex::Open(dir, {}, &index).ok()) std::abort();
    const size_t n = MessageCount();
    std::mt19937_64 rng(42);
    auto start = std::chrono::steady_clock::now();
    for (size_t i = 0; i < n; ++i)
      if (!index->AddRecord(Synthetic(i, rng), false).ok()) std::abort();
    if (!index->Flush().ok()) std::abort();
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    add_per_sec = n / secs;
    std::fprintf(stderr, "index_bench: built %zu messages in %.1f s (%.0f adds/s, unsynced batch load)\n", n, secs,
                 add_per_sec);
  }
  ~Fixture() {
    index.reset();
    std::filesystem::remove_all(dir);
  }
};

Fixture& Shared() {
  static Fixture* f = new Fixture();  // built once, on first use
  return *f;
}

void RunSearch(benchmark::State& state, const std::function<Query(std::mt19937_64&)>& make) {
  ArchiveIndex* index = Shared().index.get();
  std::mt19937_64 rng(7);
  std::vector<double> us;
  size_t results = 0;
  for (auto _ : state) {
    Query q = make(rng);
    ResultPage page;
    auto t0 = std::chrono::steady_clock::now();
    if (!index->Search(q, &page).ok()) state.SkipWithError("search failed");
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    results += page.records.size();
    benchmark::DoNotOptimize(page);
  }
  std::sort(us.begin(), us.end());
  if (!us.empty()) {
    state.counters["p50_us"] = us[us.size() / 2];
    state.counters["p99_us"] = us[std::min(us.size() - 1, us.size() * 99 / 100)];
    state.counters["results"] = static_cast<double>(results) / us.size();
  }
  state.counters["messages"] = static_cast<double>(MessageCount());
}

void BM_SearchUserRange(benchmark::State& state) {
  RunSearch(state, [](std::mt19937_64& rng) {
    int64_t since = kStartMs + static_cast<int64_t>(rng() % (kYearMs - 7 * 86'400'000LL));
    return Query{.user = "user" + std::to_string(rng() % 200), .since_ms = since, .until_ms = since + 7 * 86'400'000LL};
  });
}
void BM_SearchSubjectJa(benchmark::State& state) {
  RunSearch(state, [](std::mt19937_64& rng) { return Query{.subject = kWords[rng() % 4]}; });
}
void BM_SearchAddress(benchmark::State& state) {
  RunSearch(state, [](std::mt19937_64& rng) {
    return Query{.to = "partner" + std::to_string(rng() % 5000) + "@customer" + std::to_string(rng() % 300) + ".co.jp"};
  });
}
void BM_SearchCombined(benchmark::State& state) {
  RunSearch(state, [](std::mt19937_64& rng) {
    return Query{.user = "user" + std::to_string(rng() % 200), .to = "customer" + std::to_string(rng() % 300) + ".co.jp",
                 .subject = kWords[rng() % 10]};
  });
}

void BM_IndexAdd(benchmark::State& state) {
  ArchiveIndex* index = Shared().index.get();
  std::mt19937_64 rng(99);
  size_t i = 10'000'000;
  for (auto _ : state)
    if (!index->AddRecord(Synthetic(i++, rng), false).ok()) state.SkipWithError("add failed");
  state.SetItemsProcessed(state.iterations());
  state.counters["initial_load_adds_per_s"] = Shared().add_per_sec;
}

BENCHMARK(BM_SearchUserRange)->Unit(benchmark::kMicrosecond)->MinTime(0.5);
BENCHMARK(BM_SearchSubjectJa)->Unit(benchmark::kMicrosecond)->MinTime(0.5);
BENCHMARK(BM_SearchAddress)->Unit(benchmark::kMicrosecond)->MinTime(0.5);
BENCHMARK(BM_SearchCombined)->Unit(benchmark::kMicrosecond)->MinTime(0.5);
BENCHMARK(BM_IndexAdd)->Unit(benchmark::kMicrosecond)->MinTime(0.5);

}  // namespace

BENCHMARK_MAIN();
