// ApprovalRuntime: what `mailtee run` relies on — a clear error when there is
// nothing to relay through or the hold queue is taken, and a Start/Stop that
// lets the loop finish (no timer left running after the drain).
#include "proxy/daemon/approval_runtime.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <uv.h>

#include <filesystem>

namespace mailtee::daemon {
namespace {

class ApprovalRuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/approval_runtime_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    config_.storage_dir = dir_ + "/storage";
    std::filesystem::create_directories(config_.storage_dir);
    config::Listener smtp;
    smtp.name = "submission";
    smtp.protocol = config::Protocol::kSmtp;
    config::Upstream up;
    up.host = "127.0.0.1";
    up.port = 1;
    up.tls = config::TlsMode::kNone;
    smtp.upstream = up;
    config_.listeners.push_back(smtp);
    approval_.enabled = true;
    approval_.secret_file = dir_ + "/approval.key";
  }
  void TearDown() override {
    uv_run(&loop_, UV_RUN_DEFAULT);  // close callbacks of destroyed timers
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "a handle was left open";
    std::filesystem::remove_all(dir_);
  }
  ApprovalRuntimeOptions Options() {
    ApprovalRuntimeOptions o;
    o.loop = &loop_;
    o.config = &config_;
    o.approval = approval_;
    o.echo_approval_log = false;
    return o;
  }

  std::string dir_;
  uv_loop_t loop_{};
  config::Config config_;
  approval::ApprovalConfig approval_;
};

TEST_F(ApprovalRuntimeTest, StartThenStopLetsTheLoopFinish) {
  std::unique_ptr<ApprovalRuntime> rt;
  Status s = ApprovalRuntime::Create(Options(), &rt);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_NE(rt->service(), nullptr);
  ASSERT_NE(rt->approval_log(), nullptr);
  struct stat st {};
  ASSERT_EQ(stat(approval_.secret_file.c_str(), &st), 0) << "secret file created on first start";
  EXPECT_EQ(st.st_mode & 077, 0u);
  rt->Start();
  EXPECT_TRUE(std::filesystem::is_directory(config_.storage_dir + "/holds"));
  rt->Stop();
  // With the sweep stopped nothing keeps the loop alive: uv_run returns.
  EXPECT_EQ(uv_run(&loop_, UV_RUN_DEFAULT), 0);
  rt.reset();
}

TEST_F(ApprovalRuntimeTest, NoSmtpListenerToRelayThroughIsAnError) {
  config_.listeners[0].protocol = config::Protocol::kPop3;
  std::unique_ptr<ApprovalRuntime> rt;
  Status s = ApprovalRuntime::Create(Options(), &rt);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("relay approved mail"), std::string::npos) << s.message();
  EXPECT_EQ(rt, nullptr);
}

TEST_F(ApprovalRuntimeTest, SecondRuntimeOnTheSameStorageSaysWhy) {
  std::unique_ptr<ApprovalRuntime> first, second;
  ASSERT_TRUE(ApprovalRuntime::Create(Options(), &first).ok());
  Status s = ApprovalRuntime::Create(Options(), &second);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("while starting the approval service"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace mailtee::daemon
