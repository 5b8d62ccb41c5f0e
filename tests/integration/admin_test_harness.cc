#include "admin_test_harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "admin/auth/password_hash.h"
#include "admin/auth/users_file.h"
#include "admin/index_archive_query.h"
#include "archive/report.h"
#include "certs/tls_context.h"

namespace mailtee::admin::testing {
namespace {

archive::Report TestReport() {
  archive::Report r;
  r.id = kMessageId;
  r.direction = "sent";
  r.protocol = "smtp";
  r.listener = "submission";
  r.user = kUser;
  r.client_ip = "192.0.2.10";
  r.received_at = "2026-11-24T16:20:24.000+09:00";
  r.envelope_from = "a@example.jp";
  r.envelope_to = {"b@example.jp"};
  r.summary.from = {"a@example.jp"};
  r.summary.subject = "hello";
  r.summary.size = std::string(kMessageBytes).size();
  r.outcome = "relayed";
  r.outcome_code = 250;
  return r;
}

}  // namespace

AdminHarness::AdminHarness(const std::function<void(AdminSettings*)>& tweak) {
  char tmpl[] = "/tmp/mailtee-admin-test-XXXXXX";
  dir_ = mkdtemp(tmpl);
  std::string cert, key;
  Status s = certs::EnsureSelfSignedCertificate(dir_, &cert, &key);
  EXPECT_TRUE(s.ok()) << s.message();
  bssl::UniquePtr<SSL_CTX> ctx;
  s = certs::MakeServerContext(cert, key, &ctx);
  EXPECT_TRUE(s.ok()) << s.message();
  server_tls_ = ctx.release();

  std::string hash;
  EXPECT_TRUE(HashPassword(kPassword, HashCost::Minimum(), &hash).ok());
  bool replaced;
  EXPECT_TRUE(UpsertUser(dir_ + "/admin-users.xml", kUser, hash, &replaced).ok());

  log_ = std::make_unique<archive::LogBook>(dir_ + "/logs", 30, false);
  EXPECT_TRUE(log_->Open().ok());

  // One archived message, indexed by the real search index.
  std::filesystem::create_directories(dir_ + "/archive/alice");
  std::ofstream(dir_ + "/archive/alice/" + kMessageId + ".eml", std::ios::binary) << kMessageBytes;
  std::ofstream(dir_ + "/archive/alice/" + kMessageId + ".xml", std::ios::binary) << archive::RenderReportXml(TestReport());
  s = archive::ArchiveIndex::Open(dir_ + "/index", {}, &index_);
  EXPECT_TRUE(s.ok()) << s.message();
  if (index_) {
    EXPECT_TRUE(index_->Add(TestReport(), std::string("archive/alice/") + kMessageId + ".eml",
                            std::string("archive/alice/") + kMessageId + ".xml")
                    .ok());
    archive_ = std::make_unique<IndexArchiveQuery>(index_.get(), dir_);
  }

  config_.source = "test.xml";
  config_.storage_dir = dir_;
  config::Listener l;
  l.name = "scanner";
  l.auth.mode = config::AuthMode::kAccount;
  l.auth.user = "scanner@example.jp";
  l.auth.password = kAccountSecret;
  config_.listeners.push_back(l);

  settings_.address = "127.0.0.1";
  settings_.port = 0;
  settings_.users_file = dir_ + "/admin-users.xml";
  settings_.public_url = "https://admin.example:8443";
  settings_.socket_path = dir_ + "/admin.sock";
  settings_.storage_dir = dir_;
  settings_.cert_file = cert;
  settings_.version = "9.9.9-test";
  settings_.throttle.free_failures = 3;
  if (tweak) tweak(&settings_);

  AdminServices services;
  services.status = &status_;
  services.archive = archive_.get();
  services.log = log_.get();
  services.config = &config_;
  services.metrics = &metrics_;

  uv_loop_init(&loop_);
  server_ = std::make_unique<AdminServer>(&loop_, settings_, static_cast<SSL_CTX*>(server_tls_), services);
  s = server_->Start();
  EXPECT_TRUE(s.ok()) << s.message();
  port_ = server_->https_port();
  stop_async_.data = this;
  uv_async_init(&loop_, &stop_async_, [](uv_async_t* a) {
    auto* self = static_cast<AdminHarness*>(a->data);
    self->server_->Stop([self] { uv_close(reinterpret_cast<uv_handle_t*>(&self->stop_async_), nullptr); });
  });
  thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
}

AdminHarness::~AdminHarness() {
  uv_async_send(&stop_async_);
  thread_.join();
  server_.reset();
  uv_run(&loop_, UV_RUN_DEFAULT);  // pending close callbacks
  uv_loop_close(&loop_);
  SSL_CTX_free(static_cast<SSL_CTX*>(server_tls_));
  index_.reset();
  std::filesystem::remove_all(dir_);
}

int AdminHarness::ConnectTcp(const std::string& from) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  inet_pton(AF_INET, from.c_str(), &local.sin_addr);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

std::string AdminHarness::RawTls(const std::string& bytes, int timeout_ms, const std::string& from, int pause_ms) {
  int fd = ConnectTcp(from);
  if (fd < 0) return "";
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  bssl::UniquePtr<SSL_CTX> ctx(SSL_CTX_new(TLS_method()));
  bssl::UniquePtr<SSL> ssl(SSL_new(ctx.get()));
  SSL_set_fd(ssl.get(), fd);
  std::string got;
  if (SSL_connect(ssl.get()) == 1) {
    if (pause_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
    SSL_write(ssl.get(), bytes.data(), static_cast<int>(bytes.size()));
    char buf[16384];
    int n;
    while ((n = SSL_read(ssl.get(), buf, sizeof buf)) > 0) got.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return got;
}

HttpResult ParseHttpResponse(const std::string& raw) {
  HttpResult r;
  r.raw = raw;
  size_t end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.1 ", 0) != 0 || end == std::string::npos) return r;
  r.status = std::atoi(raw.c_str() + 9);
  size_t pos = raw.find("\r\n") + 2;
  while (pos < end) {
    size_t eol = raw.find("\r\n", pos);
    std::string line = raw.substr(pos, eol - pos);
    size_t colon = line.find(':');
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    r.headers.emplace(name, value);
    pos = eol + 2;
  }
  size_t length = static_cast<size_t>(std::atoll(r.Header("content-length").c_str()));
  r.body = raw.substr(end + 4, length);
  return r;
}

HttpResult AdminHarness::Request(const std::string& method, const std::string& target,
                                 const std::vector<std::string>& headers, const std::string& body,
                                 const std::string& from) {
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  for (const auto& h : headers) req += h + "\r\n";
  if (!body.empty() || method == "POST") req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  return ParseHttpResponse(RawTls(req, 5000, from));
}

void AdminHarness::SetUser(const std::string& name, const std::string& password, std::optional<Role> role) {
  std::string hash;
  ASSERT_TRUE(HashPassword(password, HashCost::Minimum(), &hash).ok());
  bool replaced;
  ASSERT_TRUE(UpsertUser(users_file(), name, hash, role, &replaced).ok());
}

bool AdminHarness::Login(std::string* cookie_header, std::string* csrf, const std::string& user,
                         const std::string& password) {
  nlohmann::json creds{{"user", user}, {"password", password}};
  HttpResult r = Request("POST", "/api/login", {"Content-Type: application/json"}, creds.dump());
  if (r.status != 200) return false;
  std::string set_cookie = r.Header("set-cookie");
  *cookie_header = "Cookie: " + set_cookie.substr(0, set_cookie.find(';'));
  *csrf = nlohmann::json::parse(r.body).value("csrf_token", "");
  return true;
}

}  // namespace mailtee::admin::testing
