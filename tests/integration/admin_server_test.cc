// The admin console end to end: a real AdminServer over TLS on port 0 and its
// local Unix socket, driven by a blocking BoringSSL client.
#include <sys/stat.h>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "admin/local_client.h"
#include "admin_test_harness.h"

namespace mailtee::admin::testing {
namespace {

using nlohmann::json;

std::string LoginBody(const std::string& user, const std::string& password) {
  return json{{"user", user}, {"password", password}}.dump();
}

// True when the server closes fd (EOF or reset) within timeout_ms.
bool ClosedByServer(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) != 1) return false;
  char c;
  return recv(fd, &c, 1, 0) <= 0;
}

// System-log lines containing `what`, read over the local socket (which no
// TCP limit touches).
std::vector<std::string> SystemLogLines(AdminHarness& h, const std::string& what) {
  LocalResponse r;
  std::string query;
  for (char c : what) query += c == ' ' ? std::string("%20") : std::string(1, c);
  EXPECT_TRUE(LocalApiRequest(h.socket_path(), "GET", "/api/logs?kind=system&lines=2000&contains=" + query, &r).ok());
  return json::parse(r.body)["lines"].get<std::vector<std::string>>();
}

// Occupies every libuv worker thread (the pool is per process) until
// Release(): work queued meanwhile waits, so a handler that still answers did
// its work on the loop.
class ThreadPoolBlocker {
 public:
  ThreadPoolBlocker() {
    uv_loop_init(&loop_);
    const char* size = std::getenv("UV_THREADPOOL_SIZE");
    const int threads = size && std::atoi(size) > 0 ? std::atoi(size) : 4;  // libuv's default
    jobs_.resize(static_cast<size_t>(threads));
    for (uv_work_t& job : jobs_) {
      job.data = this;
      uv_queue_work(
          &loop_, &job,
          [](uv_work_t* w) {
            auto* self = static_cast<ThreadPoolBlocker*>(w->data);
            std::unique_lock<std::mutex> lock(self->mutex_);
            ++self->running_;
            self->changed_.notify_all();
            self->changed_.wait(lock, [self] { return self->released_; });
          },
          [](uv_work_t*, int) {});
    }
    std::unique_lock<std::mutex> lock(mutex_);
    blocked_ = changed_.wait_for(lock, std::chrono::seconds(10), [&] { return running_ == threads; });
  }
  ~ThreadPoolBlocker() { Release(); }
  bool blocked() const { return blocked_; }
  void Release() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (released_) return;
      released_ = true;
    }
    changed_.notify_all();
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
  }

 private:
  uv_loop_t loop_{};
  std::vector<uv_work_t> jobs_;
  std::mutex mutex_;
  std::condition_variable changed_;
  int running_ = 0;
  bool released_ = false;
  bool blocked_ = false;
};

TEST(AdminServerTest, LoginSetsAHardenedCookieAndOpensTheApi) {
  AdminHarness h;
  HttpResult r = h.Request("POST", "/api/login", {"Content-Type: application/json"}, LoginBody(kUser, kPassword));
  ASSERT_EQ(r.status, 200) << r.raw;
  std::string cookie = r.Header("set-cookie");
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("Secure"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  EXPECT_EQ(cookie.rfind("__Host-mailtee_session=", 0), 0u) << cookie;  // Secure, Path=/, no Domain
  EXPECT_NE(cookie.find("; Path=/;"), std::string::npos);
  EXPECT_EQ(cookie.find("Domain"), std::string::npos);
  EXPECT_EQ(json::parse(r.body)["csrf_token"].get<std::string>().size(), 64u);
  EXPECT_NE(r.Header("strict-transport-security"), "");

  std::string session, csrf;
  ASSERT_TRUE(h.Login(&session, &csrf));
  r = h.Request("GET", "/api/status", {session});
  ASSERT_EQ(r.status, 200) << r.raw;
  json status = json::parse(r.body);
  EXPECT_EQ(status["version"], "9.9.9-test");
  ASSERT_EQ(status["listeners"].size(), 2u);
  EXPECT_EQ(status["listeners"][0]["name"], "submission");
  EXPECT_EQ(status["listeners"][0]["sessions"], 3);
  EXPECT_GT(status["tls"]["days_left"].get<int>(), 300);  // fresh 10-year self-signed cert
  EXPECT_FALSE(status["tls"]["not_after"].get<std::string>().empty());

  r = h.Request("GET", "/api/sessions", {session});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["total"], 4);
}

TEST(AdminServerTest, WrongPasswordIs401AndRepeatedFailuresAre429) {
  AdminHarness h;  // free_failures = 3
  for (int i = 0; i < 4; ++i) {
    HttpResult r = h.Request("POST", "/api/login", {"Content-Type: application/json"}, LoginBody(kUser, "wrong"));
    EXPECT_EQ(r.status, 401) << i << r.raw;
    EXPECT_EQ(r.Header("set-cookie"), "");
  }
  // The 4th failure locked the user at this address: even the right password waits here.
  HttpResult r = h.Request("POST", "/api/login", {"Content-Type: application/json"}, LoginBody(kUser, kPassword));
  EXPECT_EQ(r.status, 429) << r.raw;
  EXPECT_NE(r.Header("retry-after"), "");
  // Unknown users fail the same way as wrong passwords.
  AdminHarness fresh;
  r = fresh.Request("POST", "/api/login", {"Content-Type: application/json"}, LoginBody("mallory", "x"));
  EXPECT_EQ(r.status, 401);
  // Login needs JSON (no cross-site form posts).
  r = fresh.Request("POST", "/api/login", {"Content-Type: application/x-www-form-urlencoded"}, "user=alice");
  EXPECT_EQ(r.status, 415);
}

TEST(AdminServerTest, EveryApiEndpointRequiresASession) {
  AdminHarness h;
  int checked = 0;
  for (const Route& route : h.server().router().routes()) {
    if (route.access == Access::kPublic) continue;
    std::string path = route.pattern;
    size_t brace = path.find("{id}");
    if (brace != std::string::npos) path.replace(brace, 4, kMessageId);
    HttpResult r = h.Request(route.method, path);
    EXPECT_EQ(r.status, 401) << route.method << " " << path;
    r = h.Request(route.method, path, {"Cookie: __Host-mailtee_session=" + std::string(64, 'a')});
    EXPECT_EQ(r.status, 401) << route.method << " " << path << " with a forged cookie";
    ++checked;
  }
  EXPECT_GE(checked, 9);
}

TEST(AdminServerTest, StateChangeNeedsTheCsrfToken) {
  AdminHarness h;
  std::string session, csrf;
  ASSERT_TRUE(h.Login(&session, &csrf));
  EXPECT_EQ(h.Request("POST", "/api/logout", {session}).status, 403);
  EXPECT_EQ(h.Request("POST", "/api/logout", {session, "X-CSRF-Token: " + std::string(64, '0')}).status, 403);
  // Right token but a foreign Origin (a cross-site page) is refused too.
  EXPECT_EQ(h.Request("POST", "/api/logout", {session, "X-CSRF-Token: " + csrf, "Origin: https://evil.example"}).status,
            403);
  HttpResult r = h.Request("POST", "/api/logout",
                           {session, "X-CSRF-Token: " + csrf, "Origin: https://admin.example:8443"});
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_NE(r.Header("set-cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(h.Request("GET", "/api/status", {session}).status, 401);  // the session is gone
}

TEST(AdminServerTest, ConfigNeverContainsSecrets) {
  AdminHarness h;
  std::string session, csrf;
  ASSERT_TRUE(h.Login(&session, &csrf));
  HttpResult r = h.Request("GET", "/api/config", {session});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.raw.find(kAccountSecret), std::string::npos);
  json config = json::parse(r.body);
  EXPECT_EQ(config["listeners"][0]["auth"]["password_set"], true);
  EXPECT_EQ(config["listeners"][0]["auth"]["user"], "scanner@example.jp");
  EXPECT_FALSE(config["listeners"][0]["auth"].contains("password"));
  // The users file's hashes are not reachable either.
  for (const char* path : {"/api/status", "/api/logs?kind=system&lines=1000", "/metrics"}) {
    EXPECT_EQ(h.Request("GET", path, {session}).raw.find("$argon2id$"), std::string::npos) << path;
  }
}

TEST(AdminServerTest, MetricsInPrometheusFormat) {
  AdminHarness h;
  h.metrics().GetCounter("mailtee_smtp_relayed_total", "Messages relayed", {{"listener", "submission"}})->Increment(7);
  std::string session, csrf;
  ASSERT_TRUE(h.Login(&session, &csrf));
  HttpResult r = h.Request("GET", "/metrics", {session});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r.body.find("# TYPE mailtee_listener_sessions gauge\n"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("mailtee_listener_sessions{listener=\"submission\",protocol=\"smtp\"} 3\n"), std::string::npos);
  EXPECT_NE(r.body.find("# TYPE mailtee_smtp_relayed_total counter\n"), std::string::npos);
  EXPECT_NE(r.body.find("mailtee_smtp_relayed_total{listener=\"submission\"} 7\n"), std::string::npos);
  EXPECT_NE(r.body.find("mailtee_tls_cert_not_after_seconds "), std::string::npos);
  // Every non-comment line is "name{labels} number".
  size_t pos = 0;
  while (pos < r.body.size()) {
    size_t eol = r.body.find('\n', pos);
    ASSERT_NE(eol, std::string::npos);
    std::string line = r.body.substr(pos, eol - pos);
    if (line[0] != '#') {
      size_t space = line.rfind(' ');
      ASSERT_NE(space, std::string::npos) << line;
      EXPECT_EQ(line.substr(space + 1).find_first_not_of("0123456789"), std::string::npos) << line;
    }
    pos = eol + 1;
  }
}

TEST(AdminServerTest, LocalSocketServesTheApiWithoutLogin) {
  AdminHarness h;
  struct stat st {};
  ASSERT_EQ(stat(h.socket_path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u);  // the daemon user and its group (docs/operator-guide.md)
  LocalResponse r;
  Status s = LocalApiRequest(h.socket_path(), "GET", "/api/status", &r);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(r.status, 200) << r.body;
  json status = json::parse(r.body);
  EXPECT_EQ(status["listeners"][1]["name"], "pop3s");
  s = LocalApiRequest(h.socket_path(), "GET", std::string("/api/archive/") + kMessageId + "/eml", &r);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(r.body, kMessageBytes);
  s = LocalApiRequest(h.socket_path(), "GET", "/nope", &r);
  EXPECT_EQ(r.status, 404);
  // No daemon: the error says so.
  s = LocalApiRequest(h.dir() + "/missing.sock", "GET", "/api/status", &r);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("is mailtee running?"), std::string::npos);
}

TEST(AdminServerTest, ArchiveSearchShowAndDownload) {
  AdminHarness h;
  std::string session, csrf;
  ASSERT_TRUE(h.Login(&session, &csrf));
  HttpResult r = h.Request("GET", "/api/archive/search?user=alice&subject=hello", {session});
  ASSERT_EQ(r.status, 200) << r.raw;
  json page = json::parse(r.body);
  ASSERT_EQ(page["messages"].size(), 1u);
  EXPECT_EQ(page["messages"][0]["id"], kMessageId);
  EXPECT_FALSE(page["messages"][0].contains("eml_path"));  // no server paths in the API

  r = h.Request("GET", "/api/archive/search?user=bob", {session});
  EXPECT_EQ(json::parse(r.body)["messages"].size(), 0u);
  EXPECT_EQ(h.Request("GET", "/api/archive/search?limit=x", {session}).status, 400);

  r = h.Request("GET", std::string("/api/archive/") + kMessageId, {session});
  ASSERT_EQ(r.status, 200);
  json show = json::parse(r.body);
  EXPECT_EQ(show["report"]["outcome"], "relayed");
  EXPECT_EQ(show["report"]["envelope_to"][0], "b@example.jp");

  r = h.Request("GET", std::string("/api/archive/") + kMessageId + "/eml", {session});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("content-type"), "message/rfc822");
  EXPECT_EQ(r.body, kMessageBytes);
  EXPECT_EQ(h.Request("GET", "/api/archive/..%2F..%2Fetc%2Fpasswd/eml", {session}).status, 404);
  EXPECT_EQ(h.Request("GET", "/api/archive/not-an-id", {session}).status, 400);
  EXPECT_EQ(h.Request("GET", "/api/archive/20261124T072024Z-000000000000", {session}).status, 404);
}

TEST(AdminServerTest, LogsTailAndAuditTrail) {
  AdminHarness h;
  h.log().Write(archive::LogKind::kConnections, "accept client=192.0.2.44");
  std::string session, csrf;
  ASSERT_TRUE(h.Login(&session, &csrf));
  HttpResult r = h.Request("GET", "/api/logs?kind=connections&lines=5", {session});
  ASSERT_EQ(r.status, 200) << r.raw;
  json logs = json::parse(r.body);
  ASSERT_EQ(logs["lines"].size(), 1u);
  EXPECT_NE(logs["lines"][0].get<std::string>().find("192.0.2.44"), std::string::npos);
  // The login is in the admin audit trail (system log), with who and from where.
  r = h.Request("GET", "/api/logs?kind=system&contains=login%20ok", {session});
  logs = json::parse(r.body);
  ASSERT_EQ(logs["lines"].size(), 1u) << r.body;
  EXPECT_NE(logs["lines"][0].get<std::string>().find("admin: user=alice from=127.0.0.1 login ok"), std::string::npos);
  EXPECT_EQ(h.Request("GET", "/api/logs?kind=../../etc", {session}).status, 400);
  EXPECT_EQ(h.Request("GET", "/api/logs?kind=system&date=2026", {session}).status, 400);
}

TEST(AdminServerTest, ProtocolErrorsAndLimits) {
  AdminHarness h([](AdminSettings* s) { s->limits.max_body_bytes = 1024; });
  EXPECT_EQ(h.Request("GET", "/no/such/thing").status, 404);
  HttpResult r = h.Request("DELETE", "/api/status");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.Header("allow"), "GET, HEAD");
  r = h.Request("POST", "/api/login", {"Content-Type: application/json"}, std::string(2000, 'x'));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(ParseHttpResponse(h.RawTls("NONSENSE\r\n\r\n")).status, 400);
  std::string huge = "GET / HTTP/1.1\r\nX: " + std::string(20000, 'a') + "\r\n\r\n";
  EXPECT_EQ(ParseHttpResponse(h.RawTls(huge)).status, 431);
  // The public console page is served, with a strict CSP.
  r = h.Request("GET", "/");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.Header("content-security-policy").find("default-src 'self'"), std::string::npos);
  // No <base> may redirect the console's relative URLs (issue 13 item 8).
  EXPECT_NE(r.Header("content-security-policy").find("base-uri 'none'"), std::string::npos);
}

TEST(AdminServerTest, PipelinedRequestsAnsweredInOrder) {
  AdminHarness h;
  std::string raw = h.RawTls(
      "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
      "HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  size_t first = raw.find("HTTP/1.1 200");
  size_t second = raw.find("HTTP/1.1 404");
  size_t third = raw.find("HTTP/1.1 200", second);
  ASSERT_NE(first, std::string::npos) << raw;
  ASSERT_NE(second, std::string::npos);
  ASSERT_NE(third, std::string::npos);
  EXPECT_LT(first, second);
  // HEAD: headers only; the connection closes right after.
  EXPECT_EQ(raw.find("<!doctype", third), std::string::npos);
  EXPECT_TRUE(raw.size() >= 4 && raw.substr(raw.size() - 4) == "\r\n\r\n");
}

TEST(AdminServerTest, SlowRequestTimesOutWith408) {
  AdminHarness h([](AdminSettings* s) { s->request_timeout_seconds = 1; });
  auto start = std::chrono::steady_clock::now();
  HttpResult r = ParseHttpResponse(h.RawTls("GET /api/status HTTP/1.1\r\nHost: x\r\n", 5000));
  EXPECT_EQ(r.status, 408);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
}

// Issue 13 item 4: one pool used to serve every client and the local socket.
TEST(AdminServerTest, IdleConnectionsFromOneAddressLockOutNeitherOthersNorTheLocalSocket) {
  AdminHarness h([](AdminSettings* s) { s->max_connections = 4; });  // per client: 16, more than the pool
  std::vector<int> idle;
  for (int i = 0; i < 4; ++i) idle.push_back(h.ConnectTcp("127.0.0.1"));
  for (int fd : idle) ASSERT_GE(fd, 0);
  // Another address gets in: the client holding the most gives up its oldest connection.
  HttpResult r = h.Request("GET", "/", {}, "", "127.0.0.2");
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_TRUE(ClosedByServer(idle[0], 2000));
  EXPECT_FALSE(ClosedByServer(idle[3], 0));
  // The root-only socket has its own pool.
  LocalResponse local;
  ASSERT_TRUE(LocalApiRequest(h.socket_path(), "GET", "/api/status", &local, 3000).ok());
  EXPECT_EQ(local.status, 200);
  for (int fd : idle) close(fd);
}

TEST(AdminServerTest, PerAddressCapRefusesOnlyThatAddressAndLogsRateLimited) {
  AdminHarness h([](AdminSettings* s) { s->max_connections_per_ip = 2; });
  const int first = h.ConnectTcp("127.0.0.1");
  const int second = h.ConnectTcp("127.0.0.1");
  std::vector<int> refused;
  for (int i = 0; i < 5; ++i) refused.push_back(h.ConnectTcp("127.0.0.1"));
  for (int fd : refused) EXPECT_TRUE(ClosedByServer(fd, 2000));
  EXPECT_FALSE(ClosedByServer(first, 0));
  EXPECT_EQ(h.Request("GET", "/", {}, "", "127.0.0.2").status, 200);
  // Five refusals, one log line (then at most one every 10 s).
  std::vector<std::string> lines = SystemLogLines(h, "connection refused");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find("admin: user=- from=127.0.0.1 connection refused: too many connections from 127.0.0.1 "
                          "(limit 2)"),
            std::string::npos)
      << lines[0];
  for (int fd : refused) close(fd);
  close(first);
  close(second);
}

TEST(AdminServerTest, IdleConnectionWithoutTlsIsClosedAfterTheHandshakeDeadline) {
  AdminHarness h([](AdminSettings* s) { s->handshake_timeout_ms = 300; });
  const auto start = std::chrono::steady_clock::now();
  const int fd = h.ConnectTcp();
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(ClosedByServer(fd, 3000));
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, std::chrono::milliseconds(250));
  EXPECT_LT(waited, std::chrono::milliseconds(2000));  // not the 30 s request deadline
  close(fd);
  // After the handshake the short deadline no longer applies.
  HttpResult r = ParseHttpResponse(h.RawTls("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 5000,
                                            "127.0.0.1", /*pause_ms=*/500));
  EXPECT_EQ(r.status, 200) << r.raw;
}

// Issue 13 item 8 (W7): submitted text must not make the daemon (root) open,
// stat or echo files outside the config's folder.
TEST(AdminServerTest, ConfigValidateTouchesOnlyFilesInTheConfigFolder) {
  AdminHarness h;
  namespace fs = std::filesystem;
  fs::create_directories(h.dir() + "/conf");
  fs::create_directories(h.dir() + "/outside");
  std::ofstream(h.dir() + "/outside/secret") << "TOPSECRET-outside\n";
  std::ofstream(h.dir() + "/conf/inside-secret") << "TOPSECRET-inside\n";
  fs::permissions(h.dir() + "/outside/secret", fs::perms(0644));
  fs::permissions(h.dir() + "/conf/inside-secret", fs::perms(0644));
  h.config().source = h.dir() + "/conf/mailtee.xml";
  const std::string xml =
      "<mailtee>\n"
      "  <listener name=\"a\" protocol=\"smtp\" port=\"2525\">\n"
      "    <upstream host=\"127.0.0.1\" port=\"2587\" tls=\"starttls\" ca-file=\"/nonexistent/ca.pem\"/>\n"
      "    <auth mode=\"account\" user=\"u\" password-file=\"../outside/secret\"/>\n"
      "    <allow network=\"127.0.0.1/32\"/>\n"
      "  </listener>\n"
      "  <listener name=\"b\" protocol=\"smtp\" port=\"2526\">\n"
      "    <upstream host=\"127.0.0.1\" port=\"2587\" tls=\"starttls\"/>\n"
      "    <auth mode=\"account\" user=\"u\" password-file=\"inside-secret\"/>\n"
      "    <allow network=\"127.0.0.1/32\"/>\n"
      "  </listener>\n"
      "</mailtee>\n";
  std::string session, csrf;
  ASSERT_TRUE(h.Login(&session, &csrf));
  HttpResult r = h.Request("POST", "/api/config/validate", {session, "X-CSRF-Token: " + csrf}, xml);
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body.find("TOPSECRET"), std::string::npos);
  std::string outside_password, outside_ca, inside;
  const json answer = json::parse(r.body);
  for (const json& p : answer["problems"]) {
    const std::string message = p["message"];
    if (message.find("outside/secret") != std::string::npos) outside_password += message + "\n";
    if (message.find("/nonexistent/ca.pem") != std::string::npos) outside_ca += message + "\n";
    if (message.find("inside-secret") != std::string::npos) inside += message + "\n";
  }
  // Outside: not opened (no "readable by group"), not even stat()ed (no "No such file").
  EXPECT_NE(outside_password.find("is outside the config's folder"), std::string::npos) << r.body;
  EXPECT_EQ(outside_password.find("readable"), std::string::npos) << r.body;
  EXPECT_NE(outside_ca.find("is outside the config's folder"), std::string::npos) << r.body;
  EXPECT_EQ(outside_ca.find("No such file"), std::string::npos) << r.body;
  // Inside the folder the file is still checked.
  EXPECT_NE(inside.find("readable by group or other users"), std::string::npos) << r.body;
}

TEST(AdminServerTest, HostOriginCountsOnlyWithoutPublicUrl) {
  AdminHarness h;  // public_url https://admin.example:8443; requests say Host: 127.0.0.1
  std::string session, csrf;
  ASSERT_TRUE(h.Login(&session, &csrf));
  EXPECT_EQ(h.Request("POST", "/api/logout", {session, "X-CSRF-Token: " + csrf, "Origin: https://127.0.0.1"}).status,
            403);
  EXPECT_EQ(h.Request("POST", "/api/logout", {session, "X-CSRF-Token: " + csrf, "Origin: https://ADMIN.example:8443"})
                .status,
            200);
  AdminHarness no_url([](AdminSettings* s) { s->public_url.clear(); });
  ASSERT_TRUE(no_url.Login(&session, &csrf));
  EXPECT_EQ(no_url.Request("POST", "/api/logout", {session, "X-CSRF-Token: " + csrf, "Origin: https://127.0.0.1"})
                .status,
            200);
}

TEST(AdminServerTest, MessageViewerDecodesOnAWorkerNotOnTheLoop) {
  AdminHarness h;
  std::string session, csrf;
  ASSERT_TRUE(h.Login(&session, &csrf));  // (its password hash used the pool; it is done)
  const std::string base = std::string("/api/archive/") + kMessageId;
  ThreadPoolBlocker pool;
  ASSERT_TRUE(pool.blocked());
  auto part = std::async(std::launch::async, [&] { return h.Request("GET", base + "/part/0", {session}); });
  auto parts = std::async(std::launch::async, [&] { return h.Request("GET", base + "/parts", {session}); });
  // The loop keeps serving while both wait for a worker thread.
  EXPECT_EQ(h.Request("GET", "/").status, 200);
  EXPECT_EQ(part.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout);
  EXPECT_EQ(parts.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  pool.Release();
  HttpResult r = part.get();
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.body, "body\r\n");
  EXPECT_NE(r.Header("content-security-policy").find("sandbox"), std::string::npos);
  r = parts.get();
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(json::parse(r.body)["parts"][0]["view"], "text");
}

TEST(AdminServerTest, ReadingABodyThroughTheViewerIsAudited) {
  AdminHarness h;
  std::string session, csrf;
  ASSERT_TRUE(h.Login(&session, &csrf));
  const std::string base = std::string("/api/archive/") + kMessageId;
  ASSERT_EQ(h.Request("GET", base + "/parts", {session}).status, 200);
  ASSERT_EQ(h.Request("GET", base + "/part/0", {session}).status, 200);
  const std::string who = "admin: user=alice from=127.0.0.1 ";
  std::vector<std::string> lines = SystemLogLines(h, std::string("archive parts ") + kMessageId);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find(who + "archive parts " + kMessageId), std::string::npos) << lines[0];
  lines = SystemLogLines(h, std::string("archive view ") + kMessageId + " part 0");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find(who), std::string::npos) << lines[0];
}

}  // namespace
}  // namespace mailtee::admin::testing
