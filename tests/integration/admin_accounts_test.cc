// Console accounts end to end (issue 13 items 5-7): sessions end when the
// account changes or goes (users file and `mailtee admin` CLI, while the
// server runs), login throttling that parallel tries cannot outrun and a
// flood cannot turn against the owner, and the read-only auditor role.
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "admin/auth/password_hash.h"
#include "admin/local_client.h"
#include "admin_test_harness.h"

namespace mailtee::admin::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

std::string LoginBody(const std::string& user, const std::string& password) {
  return json{{"user", user}, {"password", password}}.dump();
}

// `mailtee admin ARGS` with stdin_text on stdin; *output gets stdout+stderr.
int RunCli(const AdminHarness& h, const std::string& args, const std::string& stdin_text, std::string* output) {
  const std::string in = h.dir() + "/cli.in", out = h.dir() + "/cli.out";
  std::ofstream(in) << stdin_text;
  const std::string command = std::string(MAILTEE_BINARY) + " admin " + args + " --users-file " + h.users_file() +
                              " < " + in + " > " + out + " 2>&1";
  int status = std::system(command.c_str());
  std::ifstream f(out);
  std::stringstream text;
  text << f.rdbuf();
  *output = text.str();
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string SystemLog(AdminHarness& h, const std::string& session, const std::string& contains) {
  HttpResult r = h.Request("GET", "/api/logs?kind=system&contains=" + contains, {session});
  return r.body;
}

TEST(AdminAccountsTest, SessionEndsWhenThePasswordOrRoleChangesInTheUsersFile) {
  AdminHarness h;
  std::string session, csrf;
  ASSERT_TRUE(h.Login(&session, &csrf));
  ASSERT_EQ(h.Request("GET", "/api/status", {session}).status, 200);

  h.SetUser(kUser, "a new password 2");  // a password reset, as an editor or a script would write it
  EXPECT_EQ(h.Request("GET", "/api/status", {session}).status, 401);
  EXPECT_EQ(h.Request("GET", "/api/session", {session}).status, 401);
  std::string fresh, fresh_csrf;
  EXPECT_FALSE(h.Login(&fresh, &fresh_csrf, kUser, kPassword));
  ASSERT_TRUE(h.Login(&fresh, &fresh_csrf, kUser, "a new password 2"));
  EXPECT_EQ(h.Request("GET", "/api/status", {fresh}).status, 200);
  EXPECT_NE(SystemLog(h, fresh, "session%20ended").find("user=alice from=127.0.0.1 session ended: account changed"),
            std::string::npos);

  // Demoting the account also ends its sessions (the role is fixed at login).
  std::string other, other_csrf;
  ASSERT_TRUE(h.Login(&other, &other_csrf, kUser, "a new password 2"));
  h.SetUser("bob", "bobs password 1");  // someone else's change leaves alice's sessions alone
  EXPECT_EQ(h.Request("GET", "/api/status", {other}).status, 200);
  h.SetUser(kUser, "a new password 2", Role::kAuditor);
  EXPECT_EQ(h.Request("GET", "/api/status", {other}).status, 401);
}

TEST(AdminAccountsTest, CliPasswordChangeAndRemoveUserEndSessionsOfTheRunningServer) {
  AdminHarness h;
  std::string session, csrf, out;
  ASSERT_TRUE(h.Login(&session, &csrf));

  // add-user for an existing user = password change: the open session ends at once.
  ASSERT_EQ(RunCli(h, "add-user alice --password-stdin", "changed password 1\n", &out), 0) << out;
  EXPECT_NE(out.find("updated user alice (role admin)"), std::string::npos) << out;
  EXPECT_EQ(h.Request("GET", "/api/status", {session}).status, 401);
  ASSERT_TRUE(h.Login(&session, &csrf, kUser, "changed password 1"));

  // remove-user: the session ends and the account cannot log in.
  ASSERT_EQ(RunCli(h, "remove-user alice", "", &out), 0) << out;
  EXPECT_NE(out.find("removed user alice"), std::string::npos) << out;
  EXPECT_EQ(h.Request("GET", "/api/status", {session}).status, 401);
  EXPECT_FALSE(h.Login(&session, &csrf, kUser, "changed password 1"));
  EXPECT_EQ(RunCli(h, "remove-user alice", "", &out), 1);
  EXPECT_NE(out.find("there is no user alice"), std::string::npos) << out;

  // --role: unknown roles are refused before any password is read.
  EXPECT_EQ(RunCli(h, "add-user eve --role superuser --password-stdin", "eves password 1\n", &out), 2);
  EXPECT_NE(out.find("unknown role 'superuser' (use --role admin|auditor)"), std::string::npos) << out;
  ASSERT_EQ(RunCli(h, "add-user eve --role auditor --password-stdin", "eves password 1\n", &out), 0) << out;
  EXPECT_NE(out.find("added user eve (role auditor)"), std::string::npos) << out;
  HttpResult r = h.Request("POST", "/api/login", {"Content-Type: application/json"}, LoginBody("eve", "eves password 1"));
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(json::parse(r.body)["role"], "auditor");
  // A password reset without --role keeps the role (never a silent promotion).
  ASSERT_EQ(RunCli(h, "add-user eve --password-stdin", "eves password 2\n", &out), 0) << out;
  EXPECT_NE(out.find("updated user eve (role auditor)"), std::string::npos) << out;
  ASSERT_EQ(RunCli(h, "list-users", "", &out), 0) << out;
  EXPECT_NE(out.find("eve"), std::string::npos);
  EXPECT_NE(out.find("auditor"), std::string::npos);
  EXPECT_EQ(out.find("alice"), std::string::npos) << out;
}

// 30 wrong passwords at once: each is counted before its hash, so they get no
// more password checks than 30 sequential tries would (free_failures + 1).
TEST(AdminAccountsTest, ParallelWrongLoginsGetNoMorePasswordChecksThanSequentialOnes) {
  struct Gate {
    std::mutex m;
    std::condition_variable cv;
    bool open = false;
    int checks = 0;
  };
  auto gate = std::make_shared<Gate>();
  int free_failures = 0;
  AdminHarness h([&](AdminSettings* s) {
    s->max_connections_per_ip = 64;
    free_failures = s->throttle.free_failures;
    // Every check blocks until the test opens the gate: all 30 tries overlap.
    s->verify_password = [gate](const std::string& password, const std::string& hash) {
      std::unique_lock lock(gate->m);
      ++gate->checks;
      gate->cv.wait_for(lock, 10s, [&] { return gate->open; });
      return VerifyPassword(password, hash);
    };
  });
  constexpr int kTries = 30;
  std::atomic<int> answered{0};
  std::vector<int> status(kTries);
  std::vector<std::thread> clients;
  for (int i = 0; i < kTries; ++i) {
    clients.emplace_back([&, i] {
      status[i] = h.Request("POST", "/api/login", {"Content-Type: application/json"}, LoginBody(kUser, "wrong")).status;
      ++answered;
    });
  }
  // Every try that is not being checked gets its answer right away (429).
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (answered < kTries - 8 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(5ms);
  {
    std::lock_guard lock(gate->m);
    gate->open = true;
  }
  gate->cv.notify_all();
  for (auto& t : clients) t.join();
  const int wrong = static_cast<int>(std::count(status.begin(), status.end(), 401));
  const int throttled = static_cast<int>(std::count(status.begin(), status.end(), 429));
  EXPECT_LE(gate->checks, free_failures + 1);
  EXPECT_EQ(wrong, gate->checks);
  EXPECT_EQ(wrong + throttled, kTries);
}

TEST(AdminAccountsTest, AFloodFromOneAddressDoesNotLockTheOwnerOutElsewhere) {
  AdminHarness h;  // free_failures = 3
  for (int i = 0; i < 10; ++i) {
    h.Request("POST", "/api/login", {"Content-Type: application/json"}, LoginBody(kUser, "guess"), "127.0.0.1");
  }
  // The flooding address is locked, for this user and for any other name.
  HttpResult r =
      h.Request("POST", "/api/login", {"Content-Type: application/json"}, LoginBody(kUser, kPassword), "127.0.0.1");
  EXPECT_EQ(r.status, 429) << r.raw;
  h.SetUser("bob", "bobs password 1");
  r = h.Request("POST", "/api/login", {"Content-Type: application/json"},
                    LoginBody("bob", "bobs password 1"), "127.0.0.1");
  EXPECT_EQ(r.status, 429) << r.raw;
  // The owner, from another address, logs in with the right password.
  r = h.Request("POST", "/api/login", {"Content-Type: application/json"}, LoginBody(kUser, kPassword), "127.0.0.2");
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(json::parse(r.body)["role"], "admin");
}

TEST(AdminAccountsTest, AuditorReadsAndExportsButEveryChangeIs403) {
  AdminHarness h;
  h.SetUser("eve", "eves password 1", Role::kAuditor);
  HttpResult r = h.Request("POST", "/api/login", {"Content-Type: application/json"}, LoginBody("eve", "eves password 1"));
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(json::parse(r.body)["role"], "auditor");
  std::string auditor, auditor_csrf, admin, admin_csrf;
  ASSERT_TRUE(h.Login(&auditor, &auditor_csrf, "eve", "eves password 1"));
  ASSERT_TRUE(h.Login(&admin, &admin_csrf));
  r = h.Request("GET", "/api/session", {auditor});
  EXPECT_EQ(json::parse(r.body)["role"], "auditor");

  // Search, read, export (download), logs, status.
  const std::string id = kMessageId;
  const std::vector<std::string> reads = {"/api/archive/search?subject=hello", "/api/archive/" + id,
                                         "/api/archive/" + id + "/eml", "/api/logs?kind=system", "/api/status",
                                         "/api/sessions"};
  for (const std::string& path : reads) {
    EXPECT_EQ(h.Request("GET", path, {auditor}).status, 200) << path;
  }
  EXPECT_EQ(h.Request("GET", "/api/archive/" + id + "/eml", {auditor}).body, kMessageBytes);

  // Every admin-only route (approve, reject, delegate, config view/validate/reload) is 403 with a reason code.
  int admin_only = 0;
  for (const Route& route : h.server().router().routes()) {
    std::string path = route.pattern;
    if (size_t brace = path.find("{id}"); brace != std::string::npos) path.replace(brace, 4, id);
    const std::vector<std::string> as_auditor = {auditor, "X-CSRF-Token: " + auditor_csrf, "Content-Type: application/json"};
    const std::vector<std::string> as_admin = {admin, "X-CSRF-Token: " + admin_csrf, "Content-Type: application/json"};
    if (route.access != Access::kAdmin) continue;
    ++admin_only;
    r = h.Request(route.method, path, as_auditor, "{}");
    EXPECT_EQ(r.status, 403) << route.method << " " << path;
    json body = json::parse(r.body, nullptr, false);
    EXPECT_EQ(body.value("code", ""), "role_forbidden") << r.body;
    EXPECT_EQ(body.value("role", ""), "auditor");
    // An admin passes the role check (the handler answers; here 404/503/200: no approvals, no reload hook).
    r = h.Request(route.method, path, as_admin, "{}");
    EXPECT_EQ(json::parse(r.body, nullptr, false).value("code", ""), "") << route.method << " " << path;
  }
  EXPECT_GE(admin_only, 6);
  for (const char* must : {"/api/approvals/{id}/approve", "/api/config/reload", "/api/config/validate", "/api/config"}) {
    const auto& routes = h.server().router().routes();
    EXPECT_TRUE(std::any_of(routes.begin(), routes.end(),
                            [&](const Route& r) { return r.pattern == must && r.access == Access::kAdmin; }))
        << must;
  }
  // The refusal is in the audit trail.
  EXPECT_NE(SystemLog(h, admin, "needs%20the%20admin%20role").find("user=eve"), std::string::npos);

  // The local socket (root only) is an admin.
  LocalResponse local;
  ASSERT_TRUE(LocalApiRequest(h.socket_path(), "GET", "/api/session", &local).ok());
  EXPECT_EQ(json::parse(local.body)["role"], "admin");
}

}  // namespace
}  // namespace mailtee::admin::testing
