// The admin console end to end: a real AdminServer over TLS on port 0 and its
// local Unix socket, driven by a blocking BoringSSL client.
#include <sys/stat.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "admin/local_client.h"
#include "archive/report.h"
#include "archive/retrieval_journal.h"
#include "admin_test_harness.h"

namespace mailtee::admin::testing {
namespace {

using nlohmann::json;

std::string LoginBody(const std::string& user, const std::string& password) {
  return json{{"user", user}, {"password", password}}.dump();
}

TEST(AdminServerTest, LoginSetsAHardenedCookieAndOpensTheApi) {
  AdminHarness h;
  HttpResult r = h.Request("POST", "/api/login", {"Content-Type: application/json"}, LoginBody(kUser, kPassword));
  ASSERT_EQ(r.status, 200) << r.raw;
  std::string cookie = r.Header("set-cookie");
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("Secure"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
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
  // The 4th failure locked the user and the address: even the right password waits.
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
    r = h.Request(route.method, path, {"Cookie: mailtee_session=" + std::string(64, 'a')});
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
  EXPECT_EQ(st.st_mode & 0777, 0600u);
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

// A message fetched again has most of its retrievals in the retrieval journal
// beside the report (archive/retrieval_journal.h): the console's view lists
// every one, also those the report itself does not list (any more, or yet).
TEST(AdminServerTest, ArchiveShowListsEveryRetrievalFromTheJournal) {
  AdminHarness h;
  std::string session, csrf;
  ASSERT_TRUE(h.Login(&session, &csrf));
  const std::string report_path = h.dir() + "/archive/alice/" + kMessageId + ".xml";
  std::vector<archive::Retrieval> fetches;
  for (int i = 0; i < 25; ++i)  // more than a report lists, two in one millisecond
    fetches.push_back({"2026-11-25T08:00:00." + std::to_string(100 + i / 2) + "+09:00", "192.0.2.9",
                       "20261124T230000Z-0000000000" + std::to_string(10 + i)});
  ASSERT_TRUE(archive::AppendRetrievalRecords(archive::Env::Default(), archive::RetrievalJournalPath(report_path),
                                              fetches, 0600)
                  .ok());

  HttpResult r = h.Request("GET", std::string("/api/archive/") + kMessageId, {session});
  ASSERT_EQ(r.status, 200) << r.raw;
  json shown = json::parse(r.body)["report"]["retrievals"];
  ASSERT_EQ(shown.size(), fetches.size());
  EXPECT_EQ(shown[0]["at"], fetches[0].at);
  EXPECT_EQ(shown[1]["id"], fetches[1].id);
  EXPECT_EQ(shown[24]["client_ip"], "192.0.2.9");
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

}  // namespace
}  // namespace mailtee::admin::testing
