// Session store (and its file across a reload), cookies, CSRF, login throttling, password hashing, users file.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "admin/auth/cookies.h"
#include "admin/auth/login_throttle.h"
#include "admin/auth/password_hash.h"
#include "admin/auth/random_token.h"
#include "admin/auth/session_file.h"
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
  EXPECT_EQ(CookieValue("a=1; __Host-mailtee_session=abc; b=2", kSessionCookieName), "abc");
  EXPECT_EQ(CookieValue("__Host-mailtee_session=\"q\"", kSessionCookieName), "q");
  EXPECT_EQ(CookieValue("x__Host-mailtee_session=abc", kSessionCookieName), "");
  // The old name (or one a sibling host could set without the prefix) is not the session.
  EXPECT_EQ(CookieValue("mailtee_session=abc", kSessionCookieName), "");
  EXPECT_EQ(CookieValue("", kSessionCookieName), "");
}

TEST(CookieTest, SetCookieHasEveryProtection) {
  for (const std::string& c : {SessionSetCookie("tok"), ClearedSessionSetCookie()}) {
    // __Host-: browsers take it only with Secure, Path=/ and no Domain.
    EXPECT_EQ(c.rfind("__Host-mailtee_session=", 0), 0u) << c;
    EXPECT_NE(c.find("; Path=/;"), std::string::npos) << c;
    EXPECT_EQ(c.find("Domain"), std::string::npos) << c;
    EXPECT_NE(c.find("HttpOnly"), std::string::npos);
    EXPECT_NE(c.find("; Secure"), std::string::npos);
    EXPECT_NE(c.find("SameSite=Strict"), std::string::npos);
  }
  EXPECT_NE(SessionSetCookie("tok").find("=tok;"), std::string::npos);
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
  std::string token = store.Create("alice", Role::kAuditor, "stamp", "192.0.2.1", &created);
  const AdminSession* s = store.Find(token);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->user, "alice");
  EXPECT_EQ(s->role, Role::kAuditor);
  EXPECT_EQ(s->account_stamp, "stamp");
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
  std::string token = store.Create("alice", Role::kAdmin, "", "ip");
  // Activity every 9 minutes keeps it alive ...
  for (int i = 0; i < 6; ++i) {
    clock.now += 9min;
    ASSERT_NE(store.Find(token), nullptr) << i;
  }
  // ... but never past the absolute lifetime.
  clock.now += 7min;
  EXPECT_EQ(store.Find(token), nullptr);

  std::string idle = store.Create("bob", Role::kAdmin, "", "ip");
  clock.now += 10min;
  EXPECT_EQ(store.Find(idle), nullptr);
}

TEST(SessionStoreTest, BoundedOldestEvicted) {
  FakeClock clock;
  SessionStore::Options o;
  o.max_sessions = 2;
  SessionStore store(o, clock.fn());
  std::string a = store.Create("a", Role::kAdmin, "", "ip");
  clock.now += 1s;
  std::string b = store.Create("b", Role::kAdmin, "", "ip");
  clock.now += 1s;
  std::string c = store.Create("c", Role::kAdmin, "", "ip");
  EXPECT_EQ(store.size(), 2u);
  EXPECT_EQ(store.Find(a), nullptr);
  EXPECT_NE(store.Find(b), nullptr);
  EXPECT_NE(store.Find(c), nullptr);
}

TEST(SessionStoreTest, RemoveIfEndsTheSessionsOfOneAccount) {
  SessionStore store({});
  std::string a1 = store.Create("alice", Role::kAdmin, "old", "ip");
  std::string a2 = store.Create("alice", Role::kAdmin, "old", "ip2");
  std::string b = store.Create("bob", Role::kAuditor, "b", "ip");
  auto ended = store.RemoveIf([](const AdminSession& s) { return s.user == "alice" && s.account_stamp != "new"; });
  EXPECT_EQ(ended.size(), 2u);
  EXPECT_EQ(store.Find(a1), nullptr);
  EXPECT_EQ(store.Find(a2), nullptr);
  EXPECT_NE(store.Find(b), nullptr);
}

TEST(CsrfTest, HeaderMustMatchTheSessionToken) {
  SessionStore store({});
  AdminSession s;
  store.Create("alice", Role::kAdmin, "", "ip", &s);
  EXPECT_TRUE(CsrfTokenValid(s, s.csrf_token));
  EXPECT_FALSE(CsrfTokenValid(s, ""));
  EXPECT_FALSE(CsrfTokenValid(s, s.csrf_token.substr(0, 63) + "x"));
  AdminSession other;
  store.Create("alice", Role::kAdmin, "", "ip", &other);
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

// 30 tries at once from one place: each is counted before its hash runs, so
// no more are admitted than sequential tries would be (free ones + 1).
TEST(LoginThrottleTest, AttemptsAreCountedBeforeTheCheck) {
  FakeClock clock;
  LoginThrottle::Options o;
  o.free_failures = 5;
  LoginThrottle t(o, clock.fn());
  const auto keys = LoginThrottleKeys("alice", "192.0.2.7");
  int admitted = 0;
  for (int i = 0; i < 30; ++i) admitted += t.BeginAttempt(keys) == 0;  // none has finished hashing
  EXPECT_EQ(admitted, 6);
  EXPECT_GT(t.BeginAttempt(keys), 0);
  // The right password from another address is not held up by that flood ...
  const auto elsewhere = LoginThrottleKeys("alice", "198.51.100.9");
  EXPECT_EQ(t.BeginAttempt(elsewhere), 0);
  for (const auto& k : elsewhere) t.RecordSuccess(k);
  // ... and the flooding address is locked for every user name (a global per-address limit).
  EXPECT_GT(t.BeginAttempt(LoginThrottleKeys("bob", "192.0.2.7")), 0);
  // A success clears the attempt's keys.
  clock.now += 2h;
  ASSERT_EQ(t.BeginAttempt(keys), 0);
  for (const auto& k : keys) t.RecordSuccess(k);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(t.BeginAttempt(keys), 0) << i;
}

TEST(LoginThrottleTest, KeysAreTheClientNetworkNeverTheUserAlone) {
  EXPECT_EQ(ClientNetwork("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(ClientNetwork("::ffff:192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(ClientNetwork("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(ClientNetwork("2001:db8:1:2::1"), ClientNetwork("2001:db8:1:2:ffff::9"));  // one host's /64
  EXPECT_NE(ClientNetwork("2001:db8:1:2::1"), ClientNetwork("2001:db8:1:3::1"));
  EXPECT_EQ(ClientNetwork("local"), "local");
  for (const std::string& key : LoginThrottleKeys("alice", "192.0.2.7")) {
    EXPECT_NE(key.find("net=192.0.2.7"), std::string::npos) << key;
  }
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

TEST_F(UsersFileTest, RolesRoundTripAndOldFilesAreAdmins) {
  std::string hash;
  ASSERT_TRUE(HashPassword("pw", HashCost::Minimum(), &hash).ok());
  {
    std::ofstream(path_) << "<admin-users>\n<user name=\"old\" hash=\"" << hash << "\"/>\n</admin-users>\n";
  }
  chmod(path_.c_str(), 0600);
  std::vector<AdminUser> users;
  ASSERT_TRUE(LoadUsersFile(path_, &users).ok());
  ASSERT_EQ(users.size(), 1u);
  EXPECT_EQ(users[0].role, Role::kAdmin);  // written before roles existed

  bool replaced;
  ASSERT_TRUE(UpsertUser(path_, "eve", hash, Role::kAuditor, &replaced).ok());
  ASSERT_TRUE(UpsertUser(path_, "eve", hash, std::nullopt, &replaced).ok());  // a password reset keeps the role
  ASSERT_TRUE(UpsertUser(path_, "old", hash, Role::kAuditor, &replaced).ok());
  ASSERT_TRUE(UpsertUser(path_, "old", hash, Role::kAdmin, &replaced).ok());
  ASSERT_TRUE(LoadUsersFile(path_, &users).ok());
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0].role, Role::kAdmin);
  EXPECT_EQ(users[1].name, "eve");
  EXPECT_EQ(users[1].role, Role::kAuditor);

  // The stamp a session keeps changes with the password and with the role.
  AdminUser a = users[1], b = a;
  EXPECT_EQ(AccountStamp(a), AccountStamp(b));
  b.role = Role::kAdmin;
  EXPECT_NE(AccountStamp(a), AccountStamp(b));
  b = a;
  ASSERT_TRUE(HashPassword("pw", HashCost::Minimum(), &b.hash).ok());  // same password, new salt
  EXPECT_NE(AccountStamp(a), AccountStamp(b));

  bool removed = false;
  ASSERT_TRUE(RemoveUser(path_, "eve", &removed).ok());
  EXPECT_TRUE(removed);
  ASSERT_TRUE(RemoveUser(path_, "eve", &removed).ok());
  EXPECT_FALSE(removed);
  ASSERT_TRUE(LoadUsersFile(path_, &users).ok());
  EXPECT_EQ(users.size(), 1u);
}

TEST_F(UsersFileTest, UnknownRoleIsAnErrorWithTheLine) {
  {
    std::ofstream(path_) << "<admin-users>\n<user name=\"a\" hash=\"$argon2id$v=19$m=8,t=1,p=1$x$y\" role=\"root\"/>\n"
                            "</admin-users>\n";
  }
  chmod(path_.c_str(), 0600);
  std::vector<AdminUser> users;
  Status s = LoadUsersFile(path_, &users);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(path_ + ":2: user a has an unknown role 'root'"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("admin|auditor"), std::string::npos);
}

TEST_F(UsersFileTest, DirectorySeesEveryChangeOfTheFile) {
  std::string hash;
  ASSERT_TRUE(HashPassword("pw", HashCost::Minimum(), &hash).ok());
  bool replaced, removed;
  ASSERT_TRUE(UpsertUser(path_, "alice", hash, &replaced).ok());
  UserDirectory users(path_);
  ASSERT_TRUE(users.Refresh().ok());
  const uint64_t first = users.generation();
  ASSERT_TRUE(users.Refresh().ok());
  EXPECT_EQ(users.generation(), first);  // unchanged file: no reload
  ASSERT_TRUE(UpsertUser(path_, "alice", hash, Role::kAuditor, &replaced).ok());
  ASSERT_TRUE(users.Refresh().ok());
  EXPECT_GT(users.generation(), first);
  ASSERT_NE(users.Lookup("alice"), nullptr);
  EXPECT_EQ(users.Lookup("alice")->role, Role::kAuditor);
  ASSERT_TRUE(RemoveUser(path_, "alice", &removed).ok());
  ASSERT_TRUE(users.Refresh().ok());
  EXPECT_EQ(users.Lookup("alice"), nullptr);
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

// Console sessions kept across a reload (issue 14 item 6): saved owner-only,
// restored once, expired ones dropped (admin/auth/session_file.h).
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
