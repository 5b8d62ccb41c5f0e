#include "tests/integration/smtp_test_harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "certs/tls_context.h"
#include "proxy/net/listener_wiring.h"

namespace mailtee::smtp_testing {

SmtpTestClient::SmtpTestClient(uint16_t port) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd_);
    fd_ = -1;
    return;
  }
  timeval tv{10, 0};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

SmtpTestClient::~SmtpTestClient() {
  if (ssl_) SSL_free(ssl_);
  if (ctx_) SSL_CTX_free(ctx_);
  if (fd_ >= 0) close(fd_);
}

void SmtpTestClient::Send(std::string_view s) {
  while (!s.empty()) {
    int n = ssl_ ? SSL_write(ssl_, s.data(), static_cast<int>(s.size()))
                 : static_cast<int>(send(fd_, s.data(), s.size(), MSG_NOSIGNAL));
    if (n <= 0) return;
    s.remove_prefix(n);
  }
}

bool SmtpTestClient::Fill() {
  char buf[16384];
  int n = ssl_ ? SSL_read(ssl_, buf, sizeof buf) : static_cast<int>(recv(fd_, buf, sizeof buf, 0));
  if (n <= 0) return false;
  buffer_.append(buf, n);
  return true;
}

std::string SmtpTestClient::ReadReply() {
  std::string reply;
  while (true) {
    size_t lf = buffer_.find("\r\n");
    if (lf == std::string::npos) {
      if (!Fill()) return reply;
      continue;
    }
    std::string line = buffer_.substr(0, lf + 2);
    buffer_.erase(0, lf + 2);
    reply += line;
    if (line.size() < 4 || line[3] != '-') return reply;
  }
}

std::string SmtpTestClient::ReadUntilClose() {
  while (Fill()) {
  }
  std::string all;
  all.swap(buffer_);
  return all;
}

bool SmtpTestClient::StartTls() {
  ctx_ = SSL_CTX_new(TLS_method());
  SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
  ssl_ = SSL_new(ctx_);
  SSL_set_fd(ssl_, fd_);
  buffer_.clear();
  return SSL_connect(ssl_) == 1;
}

SmtpHarness::SmtpHarness() {
  dir_ = std::filesystem::temp_directory_path() /
         ("mailtee-smtp-it-" + std::to_string(getpid()) + "-" + std::to_string(reinterpret_cast<uintptr_t>(this)));
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
  std::string cert, key;
  Status s = certs::EnsureSelfSignedCertificate(dir_.string(), &cert, &key);
  if (s.ok()) s = certs::MakeServerContext(cert, key, &server_tls_);
  if (s.ok()) s = certs::MakeClientContext(/*verify=*/false, "", &upstream_tls_);
  if (!s.ok()) fprintf(stderr, "harness TLS setup failed: %s\n", s.message().c_str());
  log_ = std::make_unique<archive::LogBook>((dir_ / "logs").string(), 90, false);
  log_->Open();
  uv_loop_init(&loop_);
  async_.data = this;
  uv_async_init(&loop_, &async_, &SmtpHarness::OnAsync);
}

SmtpHarness::~SmtpHarness() {
  Stop();
  std::filesystem::remove_all(dir_);
}

config::Listener SmtpHarness::MakeListener(uint16_t upstream_port) {
  config::Listener l;
  l.name = "submission-test";
  l.protocol = config::Protocol::kSmtp;
  l.address = "127.0.0.1";
  l.port = 0;
  l.tls = config::TlsMode::kNone;
  config::Upstream up;
  up.host = "127.0.0.1";
  up.port = upstream_port;
  up.tls = config::TlsMode::kNone;
  up.verify = false;
  l.upstream = up;
  l.max_connections_per_ip = 0;
  l.timeouts.greeting = 5;
  l.timeouts.command = 10;
  l.timeouts.data_block = 10;
  l.timeouts.data_end = 10;
  return l;
}

void SmtpHarness::OnAsync(uv_async_t* handle) {
  auto* self = static_cast<SmtpHarness*>(handle->data);
  std::vector<std::function<void()>> tasks;
  {
    std::lock_guard<std::mutex> lock(self->tasks_mu_);
    tasks.swap(self->tasks_);
  }
  for (auto& t : tasks) t();
}

void SmtpHarness::RunOnLoop(std::function<void()> fn) {
  std::promise<void> done;
  auto fut = done.get_future();
  {
    std::lock_guard<std::mutex> lock(tasks_mu_);
    tasks_.push_back([&] {
      fn();
      done.set_value();
    });
  }
  uv_async_send(&async_);
  fut.wait();
}

void SmtpHarness::Start(const config::Listener& listener) {
  listener_ = listener;
  smtp::ProxyEnvironment env;
  env.loop = &loop_;
  env.listener = &listener_;
  env.server_tls = listener_.tls == config::TlsMode::kNone ? nullptr : server_tls_.get();
  env.upstream_tls = upstream_tls_.get();
  env.sink = &sink_;
  env.log = log_.get();
  env.transcripts = transcripts;
  env.hold_gate = hold_gate;
  proxy_ = std::make_unique<smtp::SmtpProxy>(env);
  Status s = net::TcpListener::Listen(&loop_, "127.0.0.1", 0, listener_.max_connections_per_ip,
                                      [this](std::unique_ptr<net::Stream> c) { proxy_->Accept(std::move(c)); }, &tcp_);
  if (!s.ok()) fprintf(stderr, "listen failed: %s\n", s.message().c_str());
  if (tcp_) net::WireRefusals(tcp_.get(), listener_, proxy_.get());
  port_ = tcp_ ? tcp_->port() : 0;
  running_ = true;
  thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
}

bool SmtpHarness::Drain(std::chrono::milliseconds timeout) {
  auto promise = std::make_shared<std::promise<void>>();
  auto fut = promise->get_future();
  RunOnLoop([this, promise] { proxy_->Drain([promise] { promise->set_value(); }); });
  return fut.wait_for(timeout) == std::future_status::ready;
}

size_t SmtpHarness::SessionCount() {
  size_t n = 0;
  RunOnLoop([&] { n = proxy_->session_count(); });
  return n;
}

void SmtpHarness::Stop() {
  if (!running_) return;
  running_ = false;
  Drain(std::chrono::seconds(10));
  RunOnLoop([this] {
    tcp_.reset();
    proxy_.reset();
    if (on_loop_stop) on_loop_stop();
    uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
  });
  thread_.join();
  // Let close callbacks of anything left run, then close the loop.
  uv_run(&loop_, UV_RUN_DEFAULT);
  uv_loop_close(&loop_);
}

std::string SmtpHarness::ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string SmtpHarness::LogText(const std::string& kind) {
  std::string all;
  auto root = dir_ / "logs" / kind;
  if (!std::filesystem::exists(root)) return all;
  for (auto& e : std::filesystem::directory_iterator(root)) all += ReadFile(e.path());
  return all;
}

}  // namespace mailtee::smtp_testing
