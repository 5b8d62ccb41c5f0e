// Network layer benchmarks (loopback, one libuv loop, both ends in-process).
//
//   BM_PlainBulk/<MB>     bulk transfer over TCP, writer obeys the watermarks
//   BM_TlsBulk/<MB>       the same through TLS (BoringSSL, memory BIOs)
//   BM_ReplyBurst/<n>     request/reply round trips where the server answers each
//                         request with n small Write() calls (an EHLO reply):
//                         measures the prepare-time batching (one writev per burst)
//
// Run: ./net_stream_bench --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>
#include <uv.h>

#include <cstdlib>
#include <functional>
#include <memory>
#include <string>

#include "certs/tls_context.h"
#include "proxy/net/listener.h"
#include "proxy/net/stream.h"

namespace mailtee::net {
namespace {

// A connected client/server pair on a private loop, optionally with TLS.
class Pair {
 public:
  explicit Pair(bool tls) {
    uv_loop_init(&loop_);
    Status s = TcpListener::Listen(&loop_, "127.0.0.1", 0, 0,
                                   [this](std::unique_ptr<Stream> st) { server_ = std::move(st); },
                                   &listener_);
    if (!s.ok()) std::abort();
    Connect(&loop_, "127.0.0.1", listener_->port(), 5,
            [this](Status st, std::unique_ptr<Stream> c) { client_ = std::move(c); });
    RunUntil([&] { return client_ && server_; });
    client_->SetCallbacks(Callbacks(&client_closed_));
    server_->SetCallbacks(Callbacks(&server_closed_));
    if (tls) StartTls();
  }

  ~Pair() {
    client_->Close();
    server_->Close();
    RunUntil([&] { return client_closed_ && server_closed_; });
    client_.reset();
    server_.reset();
    listener_.reset();
    RunUntil([&] { return uv_loop_alive(&loop_) == 0; });
    uv_loop_close(&loop_);
  }

  void RunUntil(const std::function<bool()>& done) {
    while (!done()) uv_run(&loop_, UV_RUN_ONCE);
  }

  Stream::Callbacks Callbacks(bool* closed) {
    Stream::Callbacks cb;
    cb.on_closed = [closed] { *closed = true; };
    return cb;
  }

  void StartTls() {
    static std::string cert, key;
    if (cert.empty()) {
      char tmpl[] = "/tmp/mailtee-bench-XXXXXX";
      if (!certs::EnsureSelfSignedCertificate(mkdtemp(tmpl), &cert, &key).ok()) std::abort();
    }
    if (!certs::MakeServerContext(cert, key, &server_ctx_).ok()) std::abort();
    if (!certs::MakeClientContext(true, cert, &client_ctx_).ok()) std::abort();
    int done = 0;
    server_->StartTlsServer(server_ctx_.get(), [&](const Status& s) { done += s.ok(); });
    client_->StartTlsClient(client_ctx_.get(), "localhost", true, [&](const Status& s) { done += s.ok(); });
    RunUntil([&] { return done == 2; });
  }

  uv_loop_t loop_;
  std::unique_ptr<TcpListener> listener_;
  std::unique_ptr<Stream> client_, server_;
  bool client_closed_ = false, server_closed_ = false;
  bssl::UniquePtr<SSL_CTX> server_ctx_, client_ctx_;
};

void Bulk(benchmark::State& state, bool tls) {
  Pair pair(tls);
  const size_t total = static_cast<size_t>(state.range(0)) << 20;
  const std::string chunk(64 << 10, 'm');
  for (auto _ : state) {
    size_t sent = 0, received = 0;
    std::function<void()> pump = [&] {
      while (sent < total && pair.server_->pending_write_bytes() < kHighWatermark) {
        pair.server_->Write(chunk);
        sent += chunk.size();
      }
    };
    Stream::Callbacks scb = pair.Callbacks(&pair.server_closed_);
    scb.on_drained = [&] { pump(); };
    pair.server_->SetCallbacks(std::move(scb));
    Stream::Callbacks ccb = pair.Callbacks(&pair.client_closed_);
    ccb.on_data = [&](std::string_view d) { received += d.size(); };
    pair.client_->SetCallbacks(std::move(ccb));
    pump();
    pair.RunUntil([&] { return received >= total; });
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * total));
}

void BM_PlainBulk(benchmark::State& state) { Bulk(state, false); }
void BM_TlsBulk(benchmark::State& state) { Bulk(state, true); }

void BM_ReplyBurst(benchmark::State& state) {
  Pair pair(false);
  const int lines = static_cast<int>(state.range(0));
  std::string request = "EHLO client.example\r\n";
  Stream::Callbacks scb = pair.Callbacks(&pair.server_closed_);
  scb.on_data = [&](std::string_view) {
    for (int i = 0; i < lines - 1; ++i) pair.server_->Write("250-SOMETHING\r\n");
    pair.server_->Write("250 LAST\r\n");
  };
  pair.server_->SetCallbacks(std::move(scb));
  size_t reply_size = static_cast<size_t>(lines - 1) * 15 + 10, received = 0;
  Stream::Callbacks ccb = pair.Callbacks(&pair.client_closed_);
  ccb.on_data = [&](std::string_view d) { received += d.size(); };
  pair.client_->SetCallbacks(std::move(ccb));
  for (auto _ : state) {
    received = 0;
    pair.client_->Write(request);
    pair.RunUntil([&] { return received >= reply_size; });
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_PlainBulk)->Arg(32)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TlsBulk)->Arg(32)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReplyBurst)->Arg(1)->Arg(10)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace mailtee::net

BENCHMARK_MAIN();
