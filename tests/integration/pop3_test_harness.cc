#include "tests/integration/pop3_test_harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <future>
#include <sstream>

#include "archive/env.h"
#include "certs/tls_context.h"

namespace mailtee::testing {

// ---- client ----------------------------------------------------------------------

Pop3TestClient::Pop3TestClient(uint16_t port, const char* host) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    length = sizeof *v4;
  } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    length = sizeof *v6;
  }
  fd_ = socket(storage.ss_family, SOCK_STREAM, 0);
  if (length == 0 || connect(fd_, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
    close(fd_);
    fd_ = -1;
    return;
  }
  timeval tv{10, 0};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

Pop3TestClient::~Pop3TestClient() {
  if (ssl_) SSL_free(ssl_);
  if (ctx_) SSL_CTX_free(ctx_);
  if (fd_ >= 0) close(fd_);
}

void Pop3TestClient::Send(std::string_view s) {
  while (!s.empty()) {
    int n = ssl_ ? SSL_write(ssl_, s.data(), static_cast<int>(s.size()))
                 : static_cast<int>(send(fd_, s.data(), s.size(), MSG_NOSIGNAL));
    if (n <= 0) return;
    s.remove_prefix(static_cast<size_t>(n));
  }
}

bool Pop3TestClient::Fill() {
  char buf[65536];
  int n = ssl_ ? SSL_read(ssl_, buf, sizeof buf) : static_cast<int>(recv(fd_, buf, sizeof buf, 0));
  if (n <= 0) return false;
  buffer_.append(buf, static_cast<size_t>(n));
  return true;
}

std::string Pop3TestClient::ReadLine() {
  size_t lf;
  while ((lf = buffer_.find("\r\n")) == std::string::npos) {
    if (!Fill()) return "";
  }
  std::string line = buffer_.substr(0, lf + 2);
  buffer_.erase(0, lf + 2);
  return line;
}

std::string Pop3TestClient::ReadMultiLine() {
  std::string status = ReadLine();
  if (status.rfind("+OK", 0) != 0) return status;
  // The body starts at a line start, so "\r\n.\r\n" or a leading ".\r\n" ends it.
  size_t end;
  size_t scanned = 0;  // resume the search where the last one stopped (bodies can be MBs)
  for (;;) {
    if (buffer_.rfind(".\r\n", 0) == 0) {
      end = 3;
      break;
    }
    size_t pos = buffer_.find("\r\n.\r\n", scanned);
    if (pos != std::string::npos) {
      end = pos + 5;
      break;
    }
    scanned = buffer_.size() < 4 ? 0 : buffer_.size() - 4;
    if (!Fill()) return status + buffer_;
  }
  std::string out = status + buffer_.substr(0, end);
  buffer_.erase(0, end);
  return out;
}

std::string Pop3TestClient::ReadUntilClose() {
  while (Fill()) {
  }
  std::string all;
  all.swap(buffer_);
  return all;
}

bool Pop3TestClient::StartTls() {
  ctx_ = SSL_CTX_new(TLS_method());
  SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
  ssl_ = SSL_new(ctx_);
  SSL_set_fd(ssl_, fd_);
  buffer_.clear();
  return SSL_connect(ssl_) == 1;
}

// ---- recording sink ----------------------------------------------------------------

class RecordingCapture : public archive::Capture {
 public:
  RecordingCapture(RecordingSink* sink, size_t index, std::unique_ptr<archive::Capture> inner)
      : sink_(sink), index_(index), inner_(std::move(inner)) {}
  const std::string& id() const override { return inner_->id(); }
  Status Append(std::string_view bytes) override {
    {
      std::lock_guard<std::mutex> lock(sink_->mu_);
      sink_->entries_[index_].bytes.append(bytes);
    }
    return inner_->Append(bytes);
  }
  uint64_t size() const override { return inner_->size(); }
  Status SealForRelay() override { return inner_->SealForRelay(); }
  Status Commit(const archive::Outcome& outcome) override {
    if (sink_->fail_commits_) {
      inner_->Abort("test: commit made to fail");
      return Status::Error("test: commit failed (disk full)");
    }
    Status s = inner_->Commit(outcome);
    std::lock_guard<std::mutex> lock(sink_->mu_);
    sink_->entries_[index_].committed = s.ok();
    return s;
  }
  void Abort(const std::string& reason) override {
    inner_->Abort(reason);
    std::lock_guard<std::mutex> lock(sink_->mu_);
    sink_->entries_[index_].aborted = true;
  }

 private:
  RecordingSink* sink_;
  size_t index_;
  std::unique_ptr<archive::Capture> inner_;
};

Status RecordingSink::Begin(const archive::MessageContext& context, std::unique_ptr<archive::Capture>* capture) {
  std::unique_ptr<archive::Capture> inner;
  Status s = inner_->Begin(context, &inner);
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  Entry entry;
  entry.context = context;
  entry.id = inner->id();
  entries_.push_back(entry);
  *capture = std::make_unique<RecordingCapture>(this, entries_.size() - 1, std::move(inner));
  return Status::Ok();
}

std::vector<RecordingSink::Entry> RecordingSink::entries() {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_;
}

int RecordingSink::committed() {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(std::count_if(entries_.begin(), entries_.end(), [](const Entry& e) { return e.committed; }));
}

bool RecordingSink::WaitFor(const std::function<bool(const std::vector<Entry>&)>& pred,
                            std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred(entries())) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred(entries());
}

// ---- harness -----------------------------------------------------------------------

Pop3Harness::Pop3Harness() {
  dir_ = std::filesystem::temp_directory_path() /
         ("mailtee-pop3-it-" + std::to_string(getpid()) + "-" + std::to_string(reinterpret_cast<uintptr_t>(this)));
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
  std::string cert, key;
  Status s = certs::EnsureSelfSignedCertificate(dir_.string(), &cert, &key);
  if (s.ok()) s = certs::MakeServerContext(cert, key, &server_tls_);
  if (s.ok()) s = certs::MakeClientContext(/*verify=*/false, "", &upstream_tls_);
  if (!s.ok()) fprintf(stderr, "harness TLS setup failed: %s\n", s.message().c_str());
  log_ = std::make_unique<archive::LogBook>((dir_ / "logs").string(), 90, false);
  log_->Open();
  s = archive::ArchiveStore::Open(dir_.string(), archive::Env::Default(), log_.get(), &store_);
  if (!s.ok()) fprintf(stderr, "harness archive open failed: %s\n", s.message().c_str());
  if (s.ok()) store_->PreopenSpoolFiles(8);  // as the daemon does: Begin takes pre-created spool files
  sink_ = std::make_unique<RecordingSink>(store_.get());
  uv_loop_init(&loop_);
  async_.data = this;
  uv_async_init(&loop_, &async_, &Pop3Harness::OnAsync);
}

Pop3Harness::~Pop3Harness() {
  Stop();
  // The store finishes commits on a background writer (docs/archive.md):
  // let it finish before the folder under it is removed.
  if (store_) store_->Flush();
  if (!loop_closed_) {
    uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
  }
  std::filesystem::remove_all(dir_);
}

config::Listener Pop3Harness::MakeListener(uint16_t upstream_port) {
  config::Listener l;
  l.name = "pop3-test";
  l.protocol = config::Protocol::kPop3;
  l.address = "127.0.0.1";
  l.tls = config::TlsMode::kNone;
  config::Upstream up;
  up.host = "127.0.0.1";
  up.port = upstream_port;
  up.tls = config::TlsMode::kNone;
  up.verify = false;
  l.upstream = up;
  l.timeouts.greeting = 5;
  l.timeouts.idle = 10;
  return l;
}

void Pop3Harness::OnAsync(uv_async_t* handle) {
  auto* self = static_cast<Pop3Harness*>(handle->data);
  std::vector<std::function<void()>> tasks;
  {
    std::lock_guard<std::mutex> lock(self->tasks_mu_);
    tasks.swap(self->tasks_);
  }
  for (auto& t : tasks) t();
}

void Pop3Harness::RunOnLoop(std::function<void()> fn) {
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

void Pop3Harness::Start(const config::Listener& listener, archive::MessageSink* sink) {
  listener_ = listener;
  pop3::ProxyEnvironment env;
  env.loop = &loop_;
  env.listener = &listener_;
  env.server_tls = listener_.tls == config::TlsMode::kNone ? nullptr : server_tls_.get();
  env.upstream_tls = upstream_tls_.get();
  env.sink = sink != nullptr ? sink : sink_.get();
  env.log = log_.get();
  proxy_ = std::make_unique<pop3::Pop3Proxy>(env);
  // Tests bind loopback only: the IPv6 one for a "::1" listener, else
  // 127.0.0.1 (an address like 0.0.0.0 only matters to the session's rules).
  const std::string bind = listener_.address == "::1" ? "::1" : "127.0.0.1";
  Status s = net::TcpListener::Listen(&loop_, bind, 0, listener_.max_connections_per_ip,
                                      [this](std::unique_ptr<net::Stream> c) { proxy_->Accept(std::move(c)); }, &tcp_);
  if (!s.ok()) fprintf(stderr, "listen failed: %s\n", s.message().c_str());
  if (tcp_) {
    tcp_->set_on_rejected([this](std::unique_ptr<net::Stream> c, const std::string& reason) {
      proxy_->RejectBusy(std::move(c), reason);
    });
  }
  port_ = tcp_ ? tcp_->port() : 0;
  running_ = true;
  thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
}

size_t Pop3Harness::SessionCount() {
  size_t n = 0;
  RunOnLoop([&] { n = proxy_->session_count(); });
  return n;
}

bool Pop3Harness::Drain(std::chrono::milliseconds timeout) {
  auto promise = std::make_shared<std::promise<void>>();
  auto fut = promise->get_future();
  RunOnLoop([this, promise] { proxy_->Drain([promise] { promise->set_value(); }); });
  return fut.wait_for(timeout) == std::future_status::ready;
}

void Pop3Harness::Stop() {
  if (!running_) return;
  running_ = false;
  Drain();
  RunOnLoop([this] {
    tcp_.reset();
    proxy_.reset();
    uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
  });
  thread_.join();
  uv_run(&loop_, UV_RUN_DEFAULT);
  uv_loop_close(&loop_);
  loop_closed_ = true;
}

std::vector<std::filesystem::path> Pop3Harness::ArchivedFiles(const std::string& ext) {
  std::vector<std::filesystem::path> out;
  auto root = dir_ / "archive";
  if (!std::filesystem::exists(root)) return out;
  for (auto& e : std::filesystem::recursive_directory_iterator(root))
    if (e.is_regular_file() && e.path().extension() == ext) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::filesystem::path> Pop3Harness::SpoolFiles() {
  std::vector<std::filesystem::path> out;
  auto root = dir_ / "spool";
  if (!std::filesystem::exists(root)) return out;
  for (auto& e : std::filesystem::directory_iterator(root)) out.push_back(e.path());
  return out;
}

std::string Pop3Harness::ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Pop3Harness::LogText(const std::string& kind) {
  std::string all;
  auto root = dir_ / "logs" / kind;
  if (!std::filesystem::exists(root)) return all;
  for (auto& e : std::filesystem::directory_iterator(root)) all += ReadFile(e.path());
  return all;
}

}  // namespace mailtee::testing
