// The embedded default config has listeners without a provider: the daemon
// must start, and a client must get a protocol-correct refusal that says what
// to configure (not a hang, not a silent close).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "archive/log_book.h"
#include "archive/message_sink.h"
#include "config/loader.h"
#include "proxy/daemon/daemon.h"

namespace mailtee {
namespace {

class NoSink : public archive::MessageSink {
 public:
  Status Begin(const archive::MessageContext&, std::unique_ptr<archive::Capture>*) override {
    return Status::Error("no archive in this test");
  }
};

std::string ReadLine(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return "connect failed";
  }
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string got;
  char buf[512];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof buf, 0)) > 0) got.append(buf, n);
  close(fd);
  return got;
}

TEST(DaemonNoProvider, EmbeddedDefaultStartsAndRefusesWithAdvice) {
  config::LoadResult loaded = config::LoadEmbeddedDefault();
  ASSERT_TRUE(loaded.ok());
  config::Config cfg = loaded.config;
  auto dir = std::filesystem::temp_directory_path() / ("mailtee-daemon-test-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  cfg.storage_dir = dir.string();
  for (auto& l : cfg.listeners) l.port = 0;  // ephemeral ports for the test

  archive::LogBook log((dir / "logs").string(), 1, false);
  ASSERT_TRUE(log.Open().ok());
  NoSink sink;
  uv_loop_t loop;
  uv_loop_init(&loop);
  daemon::Daemon d(&loop, cfg, &sink, &log);
  Status s = d.Start();
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_FALSE(d.advice().empty());
  bool mentions_upstream = false;
  for (const auto& a : d.advice()) mentions_upstream |= a.find("<upstream") != std::string::npos;
  EXPECT_TRUE(mentions_upstream);

  auto listeners = d.listeners();
  ASSERT_EQ(listeners.size(), 2u);
  std::string smtp_reply, pop3_reply;
  std::atomic<bool> client_done{false};
  std::thread client([&] {
    for (const auto& l : listeners) {
      (l.protocol == "smtp" ? smtp_reply : pop3_reply) = ReadLine(l.port);
    }
    client_done = true;
  });
  // Serve on this thread until the client thread has its answers.
  while (!client_done) {
    uv_run(&loop, UV_RUN_NOWAIT);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  client.join();
  EXPECT_EQ(smtp_reply.rfind("421 4.3.5 ", 0), 0u) << smtp_reply;
  EXPECT_NE(smtp_reply.find("<upstream"), std::string::npos);
  EXPECT_EQ(pop3_reply.rfind("-ERR [SYS/PERM] ", 0), 0u) << pop3_reply;

  bool stopped = false;
  d.Stop([&] { stopped = true; });
  while (!stopped) uv_run(&loop, UV_RUN_ONCE);
  uv_run(&loop, UV_RUN_DEFAULT);
  EXPECT_EQ(uv_loop_close(&loop), 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mailtee
