// AdminHarness: a real AdminServer on port 0 (self-signed test certificate,
// own libuv loop on a background thread), a local socket, a users file with
// one account, a real search index with one archived message, and a blocking
// BoringSSL client for requests.
#pragma once

#include <uv.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "admin/admin_server.h"
#include "admin/metrics.h"
#include "archive/index_db.h"
#include "archive/log_book.h"

namespace mailtee::admin::testing {

inline constexpr const char* kUser = "alice";
inline constexpr const char* kPassword = "correct horse battery";
inline constexpr const char* kAccountSecret = "S3cret-Acc0unt-Pa55";  // a listener's relay password
inline constexpr const char* kMessageId = "20261124T072024Z-3f9a0c1be27d";
inline constexpr const char* kMessageBytes = "From: a@example.jp\r\nSubject: hello\r\n\r\nbody\r\n";

struct HttpResult {
  int status = 0;  // 0: no answer
  std::multimap<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string raw;
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

class FakeStatus : public StatusSource {
 public:
  std::vector<daemon::ListenerInfo> Listeners() const override {
    daemon::ListenerInfo smtp{"submission", "smtp", "127.0.0.1", 2587, true, 3};
    daemon::ListenerInfo pop3{"pop3s", "pop3", "127.0.0.1", 2995, true, 1};
    return {smtp, pop3};
  }
};

class AdminHarness {
 public:
  // tweak runs before the server is created (e.g. lower limits).
  explicit AdminHarness(const std::function<void(AdminSettings*)>& tweak = nullptr);
  ~AdminHarness();

  uint16_t port() const { return port_; }
  const std::string& dir() const { return dir_; }
  const std::string& socket_path() const { return settings_.socket_path; }
  AdminServer& server() { return *server_; }
  Metrics& metrics() { return metrics_; }
  archive::LogBook& log() { return *log_; }

  config::Config& config() { return config_; }  // what /api/config and validate see

  // A plain TCP connection to the HTTPS port from a loopback address
  // (127.0.0.0/8), nothing sent; -1 on failure. The caller closes it.
  int ConnectTcp(const std::string& from = "127.0.0.1");
  // Sends raw bytes over TLS and reads until the server closes (or timeout).
  // pause_ms: wait between the handshake and sending.
  std::string RawTls(const std::string& bytes, int timeout_ms = 5000, const std::string& from = "127.0.0.1",
                     int pause_ms = 0);
  // One request with "Connection: close"; extra headers as "Name: value" lines.
  HttpResult Request(const std::string& method, const std::string& target,
                     const std::vector<std::string>& headers = {}, const std::string& body = "",
                     const std::string& from = "127.0.0.1");
  // Logs in; returns the cookie header line ("Cookie: __Host-mailtee_session=...") and the CSRF token.
  bool Login(std::string* cookie_header, std::string* csrf, const std::string& user = kUser,
             const std::string& password = kPassword);
  // Adds or re-keys an account in the server's users file (cheap hash).
  void SetUser(const std::string& name, const std::string& password, std::optional<Role> role = std::nullopt);
  std::string users_file() const { return dir_ + "/admin-users.xml"; }

 private:
  std::string dir_;
  AdminSettings settings_;
  uv_loop_t loop_{};
  uv_async_t stop_async_{};
  std::thread thread_;
  std::unique_ptr<archive::LogBook> log_;
  std::unique_ptr<archive::ArchiveIndex> index_;
  std::unique_ptr<ArchiveQuery> archive_;
  FakeStatus status_;
  Metrics metrics_;
  config::Config config_;
  void* server_tls_ = nullptr;  // SSL_CTX*
  std::unique_ptr<AdminServer> server_;
  uint16_t port_ = 0;
};

HttpResult ParseHttpResponse(const std::string& raw);

}  // namespace mailtee::admin::testing
