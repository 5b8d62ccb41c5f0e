// Test harness for the POP3 proxy's integration tests: a libuv loop on its own
// thread running Pop3Proxy behind a real TcpListener, a real ArchiveStore and
// LogBook in a temp folder wrapped by a RecordingSink (what the proxy handed
// the archive, and when), and a blocking POP3 test client (plaintext or TLS).
#pragma once

#include <openssl/ssl.h>
#include <uv.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "archive/archive_store.h"
#include "archive/log_book.h"
#include "archive/message_sink.h"
#include "config/config.h"
#include "proxy/net/listener.h"
#include "proxy/pop3/pop3_proxy.h"

namespace mailtee::testing {

// A blocking POP3 client; every read has a 10 s timeout.
class Pop3TestClient {
 public:
  // host: an IPv4 or IPv6 loopback literal.
  explicit Pop3TestClient(uint16_t port, const char* host = "127.0.0.1");
  ~Pop3TestClient();
  bool connected() const { return fd_ >= 0; }
  void Send(std::string_view bytes);
  // One line with its CRLF; "" on EOF/timeout.
  std::string ReadLine();
  // A status line and, if it is +OK, the body through ".\r\n": raw bytes.
  std::string ReadMultiLine();
  std::string ReadUntilClose();
  bool StartTls();

 private:
  bool Fill();
  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string buffer_;
};

// Records every capture the proxy opens and forwards it to an inner sink.
class RecordingSink : public archive::MessageSink {
 public:
  struct Entry {
    archive::MessageContext context;
    std::string bytes;
    bool committed = false;
    bool aborted = false;
    std::string id;
  };
  explicit RecordingSink(archive::MessageSink* inner) : inner_(inner) {}
  Status Begin(const archive::MessageContext& context, std::unique_ptr<archive::Capture>* capture) override;
  std::vector<Entry> entries();
  // Waits until pred(entries()) holds or the timeout passes.
  bool WaitFor(const std::function<bool(const std::vector<Entry>&)>& pred,
               std::chrono::milliseconds timeout = std::chrono::seconds(10));
  int committed();
  // From now on every Commit fails (as a full disk would), after aborting the inner capture.
  void FailCommits(bool fail) { fail_commits_ = fail; }

 private:
  friend class RecordingCapture;
  archive::MessageSink* inner_;
  std::atomic<bool> fail_commits_{false};
  std::mutex mu_;
  std::vector<Entry> entries_;
};

class Pop3Harness {
 public:
  Pop3Harness();
  ~Pop3Harness();
  // A listener on 127.0.0.1 relaying to 127.0.0.1:upstream_port (plaintext
  // both sides). Start listens on the listener's address (e.g. "::1").
  static config::Listener MakeListener(uint16_t upstream_port);
  // sink: another MessageSink than the harness's recording one (it must
  // outlive the harness).
  void Start(const config::Listener& listener, archive::MessageSink* sink = nullptr);
  void Stop();
  // Pop3Proxy::Drain on the loop; true when done ran within the timeout.
  bool Drain(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  uint16_t port() const { return port_; }
  size_t SessionCount();
  void RunOnLoop(std::function<void()> fn);

  SSL_CTX* server_tls() { return server_tls_.get(); }
  RecordingSink& sink() { return *sink_; }
  std::vector<std::filesystem::path> ArchivedFiles(const std::string& ext);
  std::vector<std::filesystem::path> SpoolFiles();
  static std::string ReadFile(const std::filesystem::path& p);
  std::string LogText(const std::string& kind);
  // The temp storage folder (archive, spool, logs) this harness owns.
  const std::filesystem::path& dir() const { return dir_; }

 private:
  static void OnAsync(uv_async_t* handle);
  std::filesystem::path dir_;
  config::Listener listener_;
  bssl::UniquePtr<SSL_CTX> server_tls_;
  bssl::UniquePtr<SSL_CTX> upstream_tls_;
  std::unique_ptr<archive::LogBook> log_;
  std::unique_ptr<archive::ArchiveStore> store_;
  std::unique_ptr<RecordingSink> sink_;
  uv_loop_t loop_{};
  uv_async_t async_{};
  std::mutex tasks_mu_;
  std::vector<std::function<void()>> tasks_;
  std::thread thread_;
  std::unique_ptr<net::TcpListener> tcp_;
  std::unique_ptr<pop3::Pop3Proxy> proxy_;
  uint16_t port_ = 0;
  bool running_ = false;
  bool loop_closed_ = false;
};

}  // namespace mailtee::testing
