// Watermarks: a fast writer and a paused reader; a large TLS transfer that
// respects them keeps memory bounded and every byte intact.
#include "certs/tls_context.h"
#include "tests/unit/net/net_test_util.h"

namespace mailtee::net::testing {
namespace {

using BackpressureTest = NetTest;

TEST_F(BackpressureTest, PendingCrossesHighWatermarkAndDrainsAfterResume) {
  StartListener();
  Peer* client = ConnectClient();
  ASSERT_NE(client, nullptr);
  Peer* server = accepted_[0];
  client->stream->PauseReading();
  const std::string chunk(64 << 10, 'z');
  size_t written = 0;
  // Loopback socket buffers take several MB before the queue can grow, so keep
  // writing (bounded) until the queue stays above the high watermark.
  while (written < (64u << 20)) {
    while (server->stream->pending_write_bytes() <= kHighWatermark) {
      server->stream->Write(chunk);
      written += chunk.size();
    }
    RunUntil([] { return false; }, 20);
    if (server->stream->pending_write_bytes() > kHighWatermark) break;
  }
  ASSERT_GT(server->stream->pending_write_bytes(), kHighWatermark);
  server->drained = 0;  // earlier fill rounds may have drained; count from here
  RunUntil([] { return false; }, 50);
  EXPECT_GT(server->stream->pending_write_bytes(), kLowWatermark);
  EXPECT_EQ(server->drained, 0);

  client->stream->ResumeReading();
  ASSERT_TRUE(RunUntil([&] { return server->drained > 0; }));
  EXPECT_LT(server->stream->pending_write_bytes(), kLowWatermark);
  ASSERT_TRUE(RunUntil([&] { return client->received.size() == written; }));
}

TEST_F(BackpressureTest, PausedReaderReceivesNothingUntilResumed) {
  StartListener();
  Peer* client = ConnectClient();
  ASSERT_NE(client, nullptr);
  client->stream->PauseReading();
  accepted_[0]->stream->Write("queued while paused");
  RunUntil([] { return false; }, 50);
  EXPECT_EQ(client->received, "");
  client->stream->ResumeReading();
  ASSERT_TRUE(RunUntil([&] { return client->received == "queued while paused"; }));
}

// 50 MB through TLS: the writer only writes below the high watermark and waits
// for on_drained; the reader pauses itself now and then (plaintext then waits
// inside SSL). Checks order and content of every byte and the queue bound.
TEST_F(BackpressureTest, FiftyMegabytesThroughTlsWithBoundedQueues) {
  const TestCert& c = TestCert::Get();
  bssl::UniquePtr<SSL_CTX> server_ctx, client_ctx;
  ASSERT_TRUE(certs::MakeServerContext(c.cert, c.key, &server_ctx).ok());
  ASSERT_TRUE(certs::MakeClientContext(true, c.cert, &client_ctx).ok());
  StartListener();
  Peer* client = ConnectClient();
  ASSERT_NE(client, nullptr);
  Peer* server = accepted_[0];
  int handshakes = 0;
  server->stream->StartTlsServer(server_ctx.get(), [&](const Status& s) { handshakes += s.ok(); });
  client->stream->StartTlsClient(client_ctx.get(), "localhost", true,
                                 [&](const Status& s) { handshakes += s.ok(); });
  ASSERT_TRUE(RunUntil([&] { return handshakes == 2; }));

  constexpr size_t kTotal = 50u << 20;
  constexpr size_t kChunk = 48 << 10;
  auto byte_at = [](size_t i) { return static_cast<char>((i * 131 + (i >> 12)) & 0xff); };
  std::string chunk(kChunk, '\0');
  size_t sent = 0, max_pending = 0;
  std::function<void()> pump = [&] {
    while (sent < kTotal && server->stream->pending_write_bytes() < kHighWatermark) {
      size_t n = std::min(kChunk, kTotal - sent);
      for (size_t i = 0; i < n; ++i) chunk[i] = byte_at(sent + i);
      server->stream->Write(std::string_view(chunk.data(), n));
      sent += n;
      max_pending = std::max(max_pending, server->stream->pending_write_bytes());
    }
  };
  Stream::Callbacks scb;
  scb.on_drained = [&] { pump(); };
  scb.on_closed = [server] { server->closed = true; };
  server->stream->SetCallbacks(std::move(scb));

  size_t received = 0, mismatches = 0, pauses = 0;
  Timer resume(&loop_);
  client->on_data = [&](Peer& p, std::string_view d) {
    for (size_t i = 0; i < d.size(); ++i) mismatches += d[i] != byte_at(received + i);
    received += d.size();
    if (received / (5u << 20) > pauses) {  // pause every 5 MB for 2 ms
      ++pauses;
      p.stream->PauseReading();
      resume.Start(2, [&p] { p.stream->ResumeReading(); });
    }
  };
  pump();
  ASSERT_TRUE(RunUntil([&] { return received == kTotal; }, 60000)) << received;
  EXPECT_EQ(mismatches, 0u);
  EXPECT_GE(pauses, 9u);
  EXPECT_LT(max_pending, kHighWatermark + kChunk + 4096) << "writer queue exceeded its bound";
}

}  // namespace
}  // namespace mailtee::net::testing
