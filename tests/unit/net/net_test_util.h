// Shared fixture for net tests: a private libuv loop, deterministic waits
// (RunUntil with a deadline, never sleeps), and Peer, a test owner of a Stream
// that records everything its callbacks report.
#pragma once

#include <gtest/gtest.h>
#include <uv.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "certs/tls_context.h"
#include "proxy/net/listener.h"
#include "proxy/net/stream.h"
#include "proxy/net/timer.h"

namespace mailtee::net::testing {

struct Peer {
  std::unique_ptr<Stream> stream;
  std::string received;
  bool eof = false;
  bool closed = false;
  int drained = 0;
  Status error;
  std::function<void(Peer&, std::string_view)> on_data;  // optional extra behaviour

  explicit Peer(std::unique_ptr<Stream> s) : stream(std::move(s)) {
    Stream::Callbacks cb;
    cb.on_data = [this](std::string_view d) {
      if (on_data) {
        on_data(*this, d);
      } else {
        received.append(d);
      }
    };
    cb.on_eof = [this] { eof = true; };
    cb.on_error = [this](const Status& s) { error = s; };
    cb.on_drained = [this] { ++drained; };
    cb.on_closed = [this] { closed = true; };
    stream->SetCallbacks(std::move(cb));
  }
};

class NetTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(uv_loop_init(&loop_), 0); }

  void TearDown() override {
    for (auto& p : peers_) {
      if (p->stream && !p->closed) p->stream->Close();
    }
    RunUntil([&] {
      for (auto& p : peers_) {
        if (p->stream && !p->closed) return false;
      }
      return true;
    }, 10000);
    peers_.clear();
    listener_.reset();
    // Every handle must be released: a leak here is a lifetime bug.
    RunUntil([&] { return uv_loop_alive(&loop_) == 0; }, 10000);
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "libuv handles still open at the end of the test";
  }

  // Runs the loop until pred() holds; false after timeout_ms.
  bool RunUntil(const std::function<bool()>& pred, int timeout_ms = 5000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!pred()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      uv_run(&loop_, UV_RUN_NOWAIT);
      if (!pred() && uv_loop_alive(&loop_)) {
        // Block briefly for I/O without busy-spinning.
        uv_timer_t t;
        uv_timer_init(&loop_, &t);
        uv_timer_start(&t, [](uv_timer_t*) {}, 5, 0);
        uv_run(&loop_, UV_RUN_ONCE);
        uv_close(reinterpret_cast<uv_handle_t*>(&t), nullptr);
        uv_run(&loop_, UV_RUN_NOWAIT);
      }
    }
    return true;
  }

  Peer* Adopt(std::unique_ptr<Stream> s) {
    peers_.push_back(std::make_unique<Peer>(std::move(s)));
    return peers_.back().get();
  }

  // Listens on 127.0.0.1:0; accepted streams become Peers in accepted_.
  void StartListener(int cap = 0, const std::string& address = "127.0.0.1") {
    Status s = TcpListener::Listen(&loop_, address, 0, cap,
                                   [this](std::unique_ptr<Stream> st) { accepted_.push_back(Adopt(std::move(st))); },
                                   &listener_);
    ASSERT_TRUE(s.ok()) << s.message();
    ASSERT_NE(listener_->port(), 0);
  }

  // Connects to the listener and returns the client Peer (null on failure).
  Peer* ConnectClient(const std::string& host = "127.0.0.1") {
    Status result = Status::Error("pending");
    std::unique_ptr<Stream> stream;
    bool done = false;
    Connect(&loop_, host, listener_->port(), 5, [&](Status s, std::unique_ptr<Stream> st) {
      result = s;
      stream = std::move(st);
      done = true;
    });
    size_t before = accepted_.size();
    EXPECT_TRUE(RunUntil([&] { return done && (!result.ok() || accepted_.size() > before); }));
    EXPECT_TRUE(result.ok()) << result.message();
    if (!result.ok()) return nullptr;
    return Adopt(std::move(stream));
  }

  uv_loop_t loop_;
  std::unique_ptr<TcpListener> listener_;
  std::vector<std::unique_ptr<Peer>> peers_;
  std::vector<Peer*> accepted_;
};

// A self-signed certificate made once per test binary in a temp directory.
struct TestCert {
  std::string dir, cert, key;
  static const TestCert& Get() {
    static TestCert c = [] {
      TestCert t;
      char tmpl[] = "/tmp/mailtee-net-test-XXXXXX";
      t.dir = mkdtemp(tmpl);
      Status s = certs::EnsureSelfSignedCertificate(t.dir, &t.cert, &t.key);
      if (!s.ok()) ADD_FAILURE() << s.message();
      return t;
    }();
    return c;
  }
};

}  // namespace mailtee::net::testing
