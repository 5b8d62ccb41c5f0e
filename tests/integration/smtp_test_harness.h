// Test harness for SMTP proxy integration tests: a libuv loop on its own
// thread running SmtpProxy behind a real TcpListener, a SmtpRecordingSink (archive seam) and a real
// LogBook in a temp folder, and a blocking test client (plaintext or TLS).
#pragma once

#include <openssl/ssl.h>
#include <uv.h>

#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "archive/log_book.h"
#include "config/config.h"
#include "proxy/net/listener.h"
#include "proxy/smtp/smtp_proxy.h"
#include "tests/integration/smtp_recording_sink.h"

namespace mailtee::smtp_testing {

// A blocking SMTP client for tests; every read has a 10 s timeout.
class SmtpTestClient {
 public:
  explicit SmtpTestClient(uint16_t port);
  ~SmtpTestClient();
  bool connected() const { return fd_ >= 0; }
  void Send(std::string_view bytes);
  // One whole reply ("250-a\r\n250 b\r\n"); "" on EOF/timeout.
  std::string ReadReply();
  // Everything until the server closes (or timeout).
  std::string ReadUntilClose();
  bool StartTls();  // client handshake, no verification (test certificate)
  bool is_tls() const { return ssl_ != nullptr; }
  std::string buffered() const { return buffer_; }

 private:
  bool Fill();
  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string buffer_;
};

class SmtpHarness {
 public:
  SmtpHarness();
  ~SmtpHarness();

  // A listener on 127.0.0.1:0 relaying to 127.0.0.1:upstream_port.
  static config::Listener MakeListener(uint16_t upstream_port);
  // Starts the loop thread with the proxy, archiving into sink().
  void Start(const config::Listener& listener);
  bool transcripts = false;  // ProxyEnvironment::transcripts for the next Start()
  smtp::HoldGate* hold_gate = nullptr;  // ProxyEnvironment::hold_gate for the next Start()
  // Runs on the loop thread in Stop(), after the proxy is gone and before the
  // loop closes: release loop-bound objects the test made (an ApprovalService).
  std::function<void()> on_loop_stop;
  uv_loop_t* loop() { return &loop_; }
  // Drains the proxy (on the loop) and waits until done.
  bool Drain(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  void Stop();
  uint16_t port() const { return port_; }
  size_t SessionCount();
  // Runs fn on the loop thread and waits for it.
  void RunOnLoop(std::function<void()> fn);

  SSL_CTX* server_tls() { return server_tls_.get(); }
  SSL_CTX* upstream_tls() { return upstream_tls_.get(); }
  SmtpRecordingSink& sink() { return sink_; }
  const std::filesystem::path& dir() const { return dir_; }
  static std::string ReadFile(const std::filesystem::path& p);
  std::string LogText(const std::string& kind);  // today's log of that kind, all files concatenated
  archive::LogBook* log() { return log_.get(); }  // to observe what the sessions record

 private:
  static void OnAsync(uv_async_t* handle);

  std::filesystem::path dir_;
  config::Listener listener_;
  bssl::UniquePtr<SSL_CTX> server_tls_;
  bssl::UniquePtr<SSL_CTX> upstream_tls_;
  std::unique_ptr<archive::LogBook> log_;
  SmtpRecordingSink sink_;
  uv_loop_t loop_{};
  uv_async_t async_{};
  std::mutex tasks_mu_;
  std::vector<std::function<void()>> tasks_;
  std::thread thread_;
  std::unique_ptr<net::TcpListener> tcp_;
  std::unique_ptr<smtp::SmtpProxy> proxy_;
  uint16_t port_ = 0;
  bool running_ = false;
};

}  // namespace mailtee::smtp_testing
