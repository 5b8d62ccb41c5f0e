// ApprovalRuntime: what `mailtee run` relies on — a clear error when there is
// nothing to relay through or the hold queue is taken, and a Start/Stop that
// lets the loop finish (no timer left running after the drain).
#include "proxy/daemon/approval_runtime.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <uv.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "archive/archive_store.h"
#include "archive/local_time.h"

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

// A crash between a hold's end (recorded, notices sent) and the report rewrite
// leaves the report saying "held": the next Start repairs it.
TEST_F(ApprovalRuntimeTest, StartRepairsAReportThatMissedTheRewrite) {
  archive::LogBook book(dir_ + "/logs", 0, false);
  ASSERT_TRUE(book.Open().ok());
  std::unique_ptr<archive::ArchiveStore> store;
  ASSERT_TRUE(archive::ArchiveStore::Open(config_.storage_dir, archive::Env::Default(), &book, &store).ok());
  archive::MessageContext c;
  c.protocol = "smtp";
  c.listener = "submission";
  c.user = "taro@company.example";
  c.received_at = std::chrono::system_clock::now();
  c.envelope_from = "taro@company.example";
  c.envelope_to = {"client@customer.example"};
  std::unique_ptr<archive::Capture> capture;
  ASSERT_TRUE(store->Begin(c, &capture).ok());
  ASSERT_TRUE(capture->Append("Subject: quote\r\n\r\nbody\r\n").ok());
  archive::Outcome held_outcome;
  held_outcome.kind = archive::Outcome::Kind::kHeld;
  ASSERT_TRUE(capture->Commit(held_outcome).ok());
  const std::string report = config_.storage_dir + "/archive/taro@company.example/" +
                             archive::LocalDayPath(c.received_at) + "/" + capture->id() + ".xml";

  std::unique_ptr<ApprovalRuntime> rt;
  ASSERT_TRUE(ApprovalRuntime::Create(Options(), &rt).ok());
  approval::HeldMessage h;
  h.id = capture->id();
  h.state = approval::HoldState::kRejected;
  h.user = c.user;
  h.sender = c.envelope_from;
  h.recipients = c.envelope_to;
  h.held_at = std::chrono::duration_cast<std::chrono::seconds>(c.received_at.time_since_epoch()).count();
  h.outcome_notified = true;
  approval::Decision d;
  d.approver = "bucho@company.example";
  d.action = "reject";
  d.at = h.held_at + 60;
  d.via = "mail";
  d.reason = "no";
  h.decisions = {d};
  ASSERT_TRUE(rt->service()->queue()->Put(h).ok());

  rt->Start();
  rt->Stop();
  uv_run(&loop_, UV_RUN_DEFAULT);  // the rewrite runs on a worker
  std::ifstream in(report);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find(">rejected</outcome>"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("<step action=\"reject\" by=\"bucho@company.example\""), std::string::npos);
  rt.reset();
}

}  // namespace
}  // namespace mailtee::daemon
