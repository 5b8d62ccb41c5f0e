// Console sessions kept across a reload: saved owner-only, restored once,
// expired ones dropped (admin/auth/session_file.h).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "admin/auth/session_file.h"
#include "admin/auth/session_store.h"

namespace mailtee::admin {
namespace {

using namespace std::chrono_literals;

struct FakeClock {
  std::chrono::steady_clock::time_point now = std::chrono::steady_clock::time_point() + 1000h;
  std::function<std::chrono::steady_clock::time_point()> fn() {
    return [this] { return now; };
  }
};

class SessionFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mailtee-sessions-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/admin-sessions";
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  std::string dir_, path_;
};

TEST_F(SessionFileTest, SessionSurvivesSaveAndRestoreWithItsCsrfToken) {
  FakeClock clock;
  SessionStore before({}, clock.fn());
  AdminSession created;
  const std::string token = before.Create("alice", Role::kAdmin, "stamp1", "127.0.0.1", &created);
  ASSERT_TRUE(SaveSessions(before, path_).ok());

  struct stat st {};
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "tokens must never be readable by others";
  std::ifstream in(path_);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.find(token), std::string::npos) << "the file holds digests, not cookie tokens";

  FakeClock later;  // a new process: its own steady clock
  later.now += 5h;
  SessionStore after({}, later.fn());
  size_t restored = 0;
  ASSERT_TRUE(RestoreSessions(path_, &after, &restored).ok());
  EXPECT_EQ(restored, 1u);
  const AdminSession* s = after.Find(token);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->user, "alice");
  EXPECT_EQ(s->role, Role::kAdmin);
  EXPECT_EQ(s->account_stamp, "stamp1");
  EXPECT_EQ(s->csrf_token, created.csrf_token);
  EXPECT_EQ(s->client_ip, "127.0.0.1");
  EXPECT_NE(access(path_.c_str(), F_OK), 0) << "restored once: a crash must not revive later logouts";
}

TEST_F(SessionFileTest, ExpiredSessionsAreDroppedOnLoad) {
  FakeClock clock;
  SessionStore::Options o;
  o.idle_timeout = 10min;
  SessionStore before(o, clock.fn());
  const std::string idle = before.Create("bob", Role::kAuditor, "", "127.0.0.1");
  clock.now += 9min;
  const std::string fresh = before.Create("carol", Role::kAuditor, "", "127.0.0.1");
  // Exported 9 minutes after bob's last request: restored as 9 minutes idle,
  // so one more minute ends it, while carol's has 10 left.
  SessionStore after(o, clock.fn());
  ASSERT_EQ(after.Import(before.Export()), 2u);
  clock.now += 1min;
  EXPECT_EQ(after.Find(idle), nullptr);
  EXPECT_NE(after.Find(fresh), nullptr);
}

TEST_F(SessionFileTest, AFileOpenToOthersIsIgnored) {
  FakeClock clock;
  SessionStore before({}, clock.fn());
  const std::string token = before.Create("alice", Role::kAdmin, "", "127.0.0.1");
  ASSERT_TRUE(SaveSessions(before, path_).ok());
  ASSERT_EQ(chmod(path_.c_str(), 0644), 0);
  SessionStore after({}, clock.fn());
  size_t restored = 0;
  EXPECT_FALSE(RestoreSessions(path_, &after, &restored).ok());
  EXPECT_EQ(restored, 0u);
  EXPECT_EQ(after.Find(token), nullptr);
}

TEST_F(SessionFileTest, NoFileRestoresNothing) {
  SessionStore after({});
  size_t restored = 7;
  EXPECT_TRUE(RestoreSessions(path_, &after, &restored).ok());
  EXPECT_EQ(restored, 0u);
}

}  // namespace
}  // namespace mailtee::admin
