// Session store, cookies, CSRF, login throttling, password hashing, users file.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "admin/auth/cookies.h"
#include "admin/auth/login_throttle.h"
#include "admin/auth/password_hash.h"
#include "admin/auth/random_token.h"
#include "admin/auth/session_store.h"
#include "admin/auth/users_file.h"

namespace mailtee::admin {
namespace {

using namespace std::chrono_literals;

struct FakeClock {
  std::chrono::steady_clock::time_point now = std::chrono::steady_clock::time_point() + 1000h;
  std::function<std::chrono::steady_clock::time_point()> fn() {
    return [this] { return now; };
  }
};

TEST(CookieTest, FindsTheSessionCookieAmongOthers) {
  EXPECT_EQ(CookieValue("a=1; mailtee_session=abc; b=2", kSessionCookieName), "abc");
  EXPECT_EQ(CookieValue("mailtee_session=\"q\"", kSessionCookieName), "q");
  EXPECT_EQ(CookieValue("xmailtee_session=abc", kSessionCookieName), "");
  EXPECT_EQ(CookieValue("", kSessionCookieName), "");
}

TEST(CookieTest, SetCookieHasEveryProtection) {
  std::string c = SessionSetCookie("tok");
  EXPECT_NE(c.find("mailtee_session=tok"), std::string::npos);
  EXPECT_NE(c.find("HttpOnly"), std::string::npos);
  EXPECT_NE(c.find("Secure"), std::string::npos);
  EXPECT_NE(c.find("SameSite=Strict"), std::string::npos);
  EXPECT_NE(ClearedSessionSetCookie().find("Max-Age=0"), std::string::npos);
}

TEST(RandomTokenTest, TokensAreLongAndDistinct) {
  std::string a = NewRandomToken(), b = NewRandomToken();
  EXPECT_EQ(a.size(), 64u);
  EXPECT_NE(a, b);
  EXPECT_TRUE(TokensEqual(a, a));
  EXPECT_FALSE(TokensEqual(a, b));
  EXPECT_FALSE(TokensEqual(a, a.substr(1)));
  EXPECT_FALSE(TokensEqual("", ""));  // an empty expected token never matches
}

TEST(SessionStoreTest, CreateFindRemove) {
  FakeClock clock;
  SessionStore store({}, clock.fn());
  AdminSession created;
  std::string token = store.Create("alice", "192.0.2.1", &created);
  const AdminSession* s = store.Find(token);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->user, "alice");
  EXPECT_EQ(s->csrf_token, created.csrf_token);
  EXPECT_NE(s->csrf_token, token);
  EXPECT_EQ(store.Find("nope"), nullptr);
  EXPECT_EQ(store.Find(""), nullptr);
  store.Remove(token);
  EXPECT_EQ(store.Find(token), nullptr);
}

TEST(SessionStoreTest, IdleAndAbsoluteExpiry) {
  FakeClock clock;
  SessionStore::Options o;
  o.idle_timeout = 10min;
  o.max_lifetime = 1h;
  SessionStore store(o, clock.fn());
  std::string token = store.Create("alice", "ip");
  // Activity every 9 minutes keeps it alive ...
  for (int i = 0; i < 6; ++i) {
    clock.now += 9min;
    ASSERT_NE(store.Find(token), nullptr) << i;
  }
  // ... but never past the absolute lifetime.
  clock.now += 7min;
  EXPECT_EQ(store.Find(token), nullptr);

  std::string idle = store.Create("bob", "ip");
  clock.now += 10min;
  EXPECT_EQ(store.Find(idle), nullptr);
}

TEST(SessionStoreTest, BoundedOldestEvicted) {
  FakeClock clock;
  SessionStore::Options o;
  o.max_sessions = 2;
  SessionStore store(o, clock.fn());
  std::string a = store.Create("a", "ip");
  clock.now += 1s;
  std::string b = store.Create("b", "ip");
  clock.now += 1s;
  std::string c = store.Create("c", "ip");
  EXPECT_EQ(store.size(), 2u);
  EXPECT_EQ(store.Find(a), nullptr);
  EXPECT_NE(store.Find(b), nullptr);
  EXPECT_NE(store.Find(c), nullptr);
}

TEST(CsrfTest, HeaderMustMatchTheSessionToken) {
  SessionStore store({});
  AdminSession s;
  store.Create("alice", "ip", &s);
  EXPECT_TRUE(CsrfTokenValid(s, s.csrf_token));
  EXPECT_FALSE(CsrfTokenValid(s, ""));
  EXPECT_FALSE(CsrfTokenValid(s, s.csrf_token.substr(0, 63) + "x"));
  AdminSession other;
  store.Create("alice", "ip", &other);
  EXPECT_FALSE(CsrfTokenValid(s, other.csrf_token));  // tokens are per session
}

TEST(LoginThrottleTest, FreeFailuresThenExponential) {
  FakeClock clock;
  LoginThrottle::Options o;
  o.free_failures = 3;
  o.base_delay = 1s;
  o.max_delay = 8s;
  LoginThrottle t(o, clock.fn());
  for (int i = 0; i < 3; ++i) {
    t.RecordFailure("ip:1");
    EXPECT_EQ(t.RetryAfterSeconds("ip:1"), 0) << i;
  }
  int64_t expected[] = {1, 2, 4, 8, 8};
  for (int64_t want : expected) {
    t.RecordFailure("ip:1");
    EXPECT_EQ(t.RetryAfterSeconds("ip:1"), want);
  }
  EXPECT_EQ(t.RetryAfterSeconds("ip:2"), 0);  // keys are independent
  clock.now += 8s;
  EXPECT_EQ(t.RetryAfterSeconds("ip:1"), 0);
  t.RecordSuccess("ip:1");
  t.RecordFailure("ip:1");
  EXPECT_EQ(t.RetryAfterSeconds("ip:1"), 0);  // success reset the count
}

TEST(LoginThrottleTest, ForgetsOldFailuresAndStaysBounded) {
  FakeClock clock;
  LoginThrottle::Options o;
  o.free_failures = 1;
  o.forget_after = 1h;
  o.max_keys = 10;
  LoginThrottle t(o, clock.fn());
  t.RecordFailure("k");
  clock.now += 2h;
  t.RecordFailure("k");  // the old failure no longer counts
  EXPECT_EQ(t.RetryAfterSeconds("k"), 0);
  for (int i = 0; i < 100; ++i) t.RecordFailure("key" + std::to_string(i));
  EXPECT_LE(t.size(), 10u);
}

TEST(PasswordHashTest, Argon2idRoundTrip) {
  std::string hash;
  ASSERT_TRUE(HashPassword("correct horse", HashCost::Minimum(), &hash).ok());
  EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u);
  EXPECT_TRUE(LooksLikePasswordHash(hash));
  EXPECT_TRUE(VerifyPassword("correct horse", hash));
  EXPECT_FALSE(VerifyPassword("correct horsE", hash));
  EXPECT_FALSE(VerifyPassword("", hash));
  EXPECT_FALSE(VerifyPassword("correct horse", "plain"));
  std::string again;
  ASSERT_TRUE(HashPassword("correct horse", HashCost::Minimum(), &again).ok());
  EXPECT_NE(hash, again);  // salted
  EXPECT_FALSE(HashPassword("", HashCost::Minimum(), &again).ok());
}

class UsersFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mailtee_users_XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/admin-users.xml";
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  std::string dir_, path_;
};

TEST_F(UsersFileTest, UpsertWritesMode0600AndReloads) {
  std::string hash;
  ASSERT_TRUE(HashPassword("pw", HashCost::Minimum(), &hash).ok());
  bool replaced = true;
  ASSERT_TRUE(UpsertUser(path_, "alice", hash, &replaced).ok());
  EXPECT_FALSE(replaced);
  struct stat st {};
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  UserDirectory users(path_);
  std::string got;
  bool found = false;
  ASSERT_TRUE(users.FindHash("alice", &got, &found).ok());
  EXPECT_TRUE(found);
  EXPECT_EQ(got, hash);
  ASSERT_TRUE(users.FindHash("bob", &got, &found).ok());
  EXPECT_FALSE(found);

  // A new user appears without restarting (the directory re-reads on change).
  ASSERT_TRUE(UpsertUser(path_, "bob", hash, &replaced).ok());
  ASSERT_TRUE(users.FindHash("bob", &got, &found).ok());
  EXPECT_TRUE(found);
  ASSERT_TRUE(UpsertUser(path_, "bob", hash, &replaced).ok());
  EXPECT_TRUE(replaced);
  EXPECT_EQ(users.user_count(), 2u);
}

TEST_F(UsersFileTest, RefusesLooseModeAndPlainPasswords) {
  {
    std::ofstream(path_) << "<admin-users><user name=\"a\" hash=\"secret\"/></admin-users>";
  }
  chmod(path_.c_str(), 0600);
  std::vector<AdminUser> users;
  Status s = LoadUsersFile(path_, &users);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("Argon2id"), std::string::npos);
  chmod(path_.c_str(), 0644);
  s = LoadUsersFile(path_, &users);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("chmod 600"), std::string::npos);
}

TEST_F(UsersFileTest, MissingFileIsEmptyAndNamesAreChecked) {
  std::vector<AdminUser> users;
  EXPECT_TRUE(LoadUsersFile(path_, &users).ok());
  EXPECT_TRUE(users.empty());
  bool replaced;
  EXPECT_FALSE(UpsertUser(path_, "bad name", "$argon2id$x", &replaced).ok());
  EXPECT_FALSE(IsValidUserName(""));
  EXPECT_FALSE(IsValidUserName("a/b"));
  EXPECT_TRUE(IsValidUserName("ops.admin@example"));
}

}  // namespace
}  // namespace mailtee::admin
