// DaemonAdmin: the console wired to a real Daemon, IndexingSink and LogBook,
// as `mailtee run` does it; checked over the local socket and HTTPS.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "admin/daemon_admin.h"
#include "admin/local_client.h"
#include "admin_test_harness.h"

namespace mailtee::admin::testing {
namespace {

class NoSink : public archive::MessageSink {
 public:
  Status Begin(const archive::MessageContext&, std::unique_ptr<archive::Capture>*) override {
    return Status::Error("no archive in this test");
  }
};

TEST(AdminDaemonWiringTest, StatusOverTheSocketFromARealDaemon) {
  char tmpl[] = "/tmp/mailtee-admin-wiring-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  config::Config config;
  config.source = "test";
  config.storage_dir = dir;
  archive::LogBook log(dir + "/logs", 30, false);
  ASSERT_TRUE(log.Open().ok());
  std::unique_ptr<archive::IndexingSink> index;
  ASSERT_TRUE(archive::IndexingSink::Open(dir, &index).ok());

  uv_loop_t loop;
  uv_loop_init(&loop);
  NoSink sink;
  auto daemon = std::make_unique<daemon::Daemon>(&loop, config, &sink, &log);
  ASSERT_TRUE(daemon->Start().ok());
  AdminSettings settings;
  settings.port = 0;
  std::unique_ptr<DaemonAdmin> console;
  Status s = DaemonAdmin::Start(&loop, config, daemon.get(), index.get(), &log, "1.2.3", settings, &console);
  ASSERT_TRUE(s.ok()) << s.message();
  console->metrics()->GetCounter("mailtee_test_total", "test")->Increment();

  uv_async_t stop;
  struct Ctx {
    DaemonAdmin* console;
    daemon::Daemon* daemon;
    uv_async_t* stop;
  } ctx{console.get(), daemon.get(), &stop};
  stop.data = &ctx;
  uv_async_init(&loop, &stop, [](uv_async_t* a) {
    auto* c = static_cast<Ctx*>(a->data);
    c->console->Stop([c] { c->daemon->Stop([c] { uv_close(reinterpret_cast<uv_handle_t*>(c->stop), nullptr); }); });
  });
  std::thread thread([&] { uv_run(&loop, UV_RUN_DEFAULT); });

  LocalResponse r;
  s = LocalApiRequest(AdminSocketPath(dir), "GET", "/api/status", &r);
  EXPECT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(r.status, 200) << r.body;
  nlohmann::json status = nlohmann::json::parse(r.body, nullptr, false);
  EXPECT_EQ(status["version"], "1.2.3");
  EXPECT_GT(status["tls"].value("days_left", 0), 300) << r.body;  // the self-signed cert in <storage>/tls
  s = LocalApiRequest(AdminSocketPath(dir), "GET", "/api/archive/search", &r);
  EXPECT_EQ(r.status, 200) << r.body;  // the real (empty) index answers
  s = LocalApiRequest(AdminSocketPath(dir), "GET", "/metrics", &r);
  EXPECT_NE(r.body.find("mailtee_test_total 1"), std::string::npos) << r.body;

  uv_async_send(&stop);
  thread.join();
  console.reset();
  daemon.reset();
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  EXPECT_FALSE(std::filesystem::exists(AdminSocketPath(dir)));  // removed on stop
  index.reset();
  std::filesystem::remove_all(dir);
}


// A provider that completes the TCP handshake (the kernel does, from the
// backlog) but never greets: sessions stay in "connecting-provider".
class SilentProvider {
 public:
  SilentProvider() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(fd_, 16);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentProvider() { close(fd_); }
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

int ConnectTo(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

TEST(AdminDaemonWiringTest, LiveSessionsListEachClientOfARealDaemon) {
  char tmpl[] = "/tmp/mailtee-admin-sessions-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  SilentProvider provider;
  config::Config config;
  config.source = "test";
  config.storage_dir = dir;
  for (config::Protocol protocol : {config::Protocol::kSmtp, config::Protocol::kPop3}) {
    config::Listener l;
    l.name = protocol == config::Protocol::kSmtp ? "submission" : "pop3";
    l.protocol = protocol;
    l.upstream = config::Upstream{"127.0.0.1", provider.port(), config::TlsMode::kNone, false, "", 0};
    config.listeners.push_back(l);
  }
  archive::LogBook log(dir + "/logs", 30, false);
  ASSERT_TRUE(log.Open().ok());

  uv_loop_t loop;
  uv_loop_init(&loop);
  NoSink sink;
  auto daemon = std::make_unique<daemon::Daemon>(&loop, config, &sink, &log);
  Status s = daemon->Start();
  ASSERT_TRUE(s.ok()) << s.message();
  AdminSettings settings;
  settings.port = 0;
  std::unique_ptr<DaemonAdmin> console;
  s = DaemonAdmin::Start(&loop, config, daemon.get(), nullptr, &log, "1.2.3", settings, &console);
  ASSERT_TRUE(s.ok()) << s.message();
  std::vector<uint16_t> ports;
  for (const daemon::ListenerInfo& l : daemon->listeners()) ports.push_back(l.port);
  ASSERT_EQ(ports.size(), 2u);

  uv_async_t stop;
  struct Ctx {
    DaemonAdmin* console;
    daemon::Daemon* daemon;
    uv_async_t* stop;
  } ctx{console.get(), daemon.get(), &stop};
  stop.data = &ctx;
  uv_async_init(&loop, &stop, [](uv_async_t* a) {
    auto* c = static_cast<Ctx*>(a->data);
    c->console->Stop([c] { c->daemon->Stop([c] { uv_close(reinterpret_cast<uv_handle_t*>(c->stop), nullptr); }); });
  });
  std::thread thread([&] { uv_run(&loop, UV_RUN_DEFAULT); });

  const int smtp_a = ConnectTo(ports[0]);
  const int smtp_b = ConnectTo(ports[0]);
  const int pop3 = ConnectTo(ports[1]);
  ASSERT_TRUE(smtp_a >= 0 && smtp_b >= 0 && pop3 >= 0);

  nlohmann::json body;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  LocalResponse r;
  do {  // the daemon accepts on its own thread: wait until all three are in
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    s = LocalApiRequest(AdminSocketPath(dir), "GET", "/api/sessions", &r);
    ASSERT_TRUE(s.ok()) << s.message();
    body = nlohmann::json::parse(r.body, nullptr, false);
  } while (body["sessions"].size() < 3 && std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(body["sessions"].size(), 3u) << r.body;
  EXPECT_EQ(body["total"], 3);
  int smtp_seen = 0, pop3_seen = 0;
  for (const auto& live : body["sessions"]) {
    EXPECT_EQ(live["client"], "127.0.0.1") << live;
    EXPECT_EQ(live["login"], "") << live;   // nobody logged in yet
    EXPECT_EQ(live["tls"], false) << live;
    EXPECT_EQ(live["messages"], 0) << live;
    EXPECT_EQ(live["started_at"].get<std::string>().size(), 20u) << live;  // 2026-11-24T20:00:00Z
    if (live["protocol"] == "smtp") {
      ++smtp_seen;
      EXPECT_EQ(live["listener"], "submission");
      EXPECT_EQ(live["state"], "connecting-provider") << live;  // connect, greeting, EHLO...
    } else {
      ++pop3_seen;
      EXPECT_EQ(live["listener"], "pop3");
      // connected and waiting for +OK (or, on a slow machine, still connecting)
      EXPECT_TRUE(live["state"] == "provider-greeting" || live["state"] == "connecting-provider") << live;
    }
  }
  EXPECT_EQ(smtp_seen, 2);
  EXPECT_EQ(pop3_seen, 1);

  // A client that leaves drops out of the list.
  close(smtp_a);
  const auto gone_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_TRUE(LocalApiRequest(AdminSocketPath(dir), "GET", "/api/sessions", &r).ok());
    body = nlohmann::json::parse(r.body, nullptr, false);
  } while (body["sessions"].size() != 2 && std::chrono::steady_clock::now() < gone_deadline);
  EXPECT_EQ(body["sessions"].size(), 2u) << r.body;

  close(smtp_b);
  close(pop3);
  uv_async_send(&stop);
  thread.join();
  console.reset();
  daemon.reset();
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mailtee::admin::testing
