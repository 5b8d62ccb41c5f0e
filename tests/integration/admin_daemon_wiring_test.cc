// DaemonAdmin: the console wired to a real Daemon, IndexingSink and LogBook,
// as `mailtee run` does it; checked over the local socket and HTTPS.
#include <uv.h>

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

}  // namespace
}  // namespace mailtee::admin::testing
