// Who may scrape /metrics without a login: allowed networks, bearer token,
// and the token file's safety checks; plus <admin metrics-...> in the loader.
#include "admin/metrics_access.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "config/loader.h"

namespace mailtee::admin {
namespace {

const std::string kToken = "0123456789abcdef0123456789abcdef";

Request From(const std::string& ip, const std::string& authorization = "") {
  Request r;
  r.method = "GET";
  r.path = "/metrics";
  r.peer_ip = ip;
  if (!authorization.empty()) r.headers["authorization"] = authorization;
  return r;
}

TEST(MetricsAccessTest, LoopbackByDefaultOthersNeedCredentials) {
  auto allow = DefaultMetricsAllow();
  EXPECT_EQ(CheckMetricsAccess(From("127.0.0.1"), false, allow, ""), MetricsAccess::kAllowed);
  EXPECT_EQ(CheckMetricsAccess(From("::1"), false, allow, ""), MetricsAccess::kAllowed);
  EXPECT_EQ(CheckMetricsAccess(From("::ffff:127.0.0.1"), false, allow, ""), MetricsAccess::kAllowed);
  EXPECT_EQ(CheckMetricsAccess(From("192.0.2.10"), false, allow, ""), MetricsAccess::kNeedsCredentials);
  EXPECT_EQ(CheckMetricsAccess(From("127.0.0.2"), false, allow, ""), MetricsAccess::kNeedsCredentials);
  EXPECT_EQ(CheckMetricsAccess(From("garbage"), false, allow, ""), MetricsAccess::kNeedsCredentials);
}

TEST(MetricsAccessTest, SessionAndLocalSocketAlwaysAllowed) {
  EXPECT_EQ(CheckMetricsAccess(From("192.0.2.10"), true, {}, ""), MetricsAccess::kAllowed);
  Request local = From("local");
  local.local_socket = true;
  EXPECT_EQ(CheckMetricsAccess(local, false, {}, ""), MetricsAccess::kAllowed);
}

TEST(MetricsAccessTest, BearerToken) {
  std::vector<config::Network> none;
  EXPECT_EQ(CheckMetricsAccess(From("192.0.2.10", "Bearer " + kToken), false, none, kToken), MetricsAccess::kAllowed);
  EXPECT_EQ(CheckMetricsAccess(From("192.0.2.10", "Bearer " + kToken + "x"), false, none, kToken),
            MetricsAccess::kWrongToken);
  EXPECT_EQ(CheckMetricsAccess(From("192.0.2.10", "Basic " + kToken), false, none, kToken), MetricsAccess::kWrongToken);
  // No token configured: no bearer can match, not even an empty one.
  EXPECT_EQ(CheckMetricsAccess(From("192.0.2.10", "Bearer "), false, none, ""), MetricsAccess::kWrongToken);
  // A wrong token from an allowed address is still refused.
  EXPECT_EQ(CheckMetricsAccess(From("127.0.0.1", "Bearer nope"), false, DefaultMetricsAllow(), kToken),
            MetricsAccess::kWrongToken);
}

class TokenFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mailtee-metricstoken-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& content, mode_t mode) {
    std::string path = dir_ + "/token";
    std::ofstream(path, std::ios::trunc) << content;
    chmod(path.c_str(), mode);
    return path;
  }
  std::string dir_;
};

TEST_F(TokenFileTest, ReadsATrimmedRootOnlyToken) {
  std::string token;
  Status s = LoadMetricsToken(Write("  " + kToken + "\n", 0600), &token);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(token, kToken);
}

TEST_F(TokenFileTest, RefusesGroupReadableShortOrMissing) {
  std::string token;
  Status s = LoadMetricsToken(Write(kToken, 0640), &token);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("chmod 600"), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find(kToken), std::string::npos) << "the token must not leak into messages";
  EXPECT_FALSE(LoadMetricsToken(Write("short", 0600), &token).ok());
  EXPECT_FALSE(LoadMetricsToken(dir_ + "/missing", &token).ok());
  EXPECT_TRUE(token.empty());
}

std::string WithAdmin(const std::string& admin) {
  return "<mailtee>\n"
         "  <listener name=\"s\" protocol=\"smtp\" address=\"127.0.0.1\" port=\"1587\" tls=\"starttls\">\n"
         "    <upstream host=\"127.0.0.1\" port=\"587\" tls=\"starttls\"/>\n"
         "  </listener>\n" +
         admin + "\n</mailtee>\n";
}

TEST(MetricsConfigTest, DefaultAllowIsLoopback) {
  config::LoadResult r = config::LoadString(WithAdmin("<admin/>"), "t.xml", "/tmp");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.config.admin->metrics_allow.size(), 2u);
  EXPECT_EQ(r.config.admin->metrics_allow[0].text, "127.0.0.1/32");
  EXPECT_EQ(r.config.admin->metrics_allow[1].text, "::1/128");
  EXPECT_TRUE(r.config.admin->metrics_token_file.empty());
}

TEST(MetricsConfigTest, ParsesAllowListAndTokenFile) {
  config::LoadResult r = config::LoadString(
      WithAdmin("<admin metrics-allow=\"10.0.0.0/8, 192.0.2.7\" metrics-token-file=\"scrape.token\"/>"), "t.xml",
      "/etc/mailtee");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.config.admin->metrics_allow.size(), 2u);
  EXPECT_TRUE(AddressAllowed(r.config.admin->metrics_allow, "10.1.2.3"));
  EXPECT_TRUE(AddressAllowed(r.config.admin->metrics_allow, "192.0.2.7"));
  EXPECT_FALSE(AddressAllowed(r.config.admin->metrics_allow, "127.0.0.1"));
  EXPECT_EQ(r.config.admin->metrics_token_file, "/etc/mailtee/scrape.token");
}

TEST(MetricsConfigTest, EmptyAllowAdmitsNoAddressAndBadNetworkIsAnErrorWithItsLine) {
  config::LoadResult r = config::LoadString(WithAdmin("<admin metrics-allow=\"\"/>"), "t.xml", "/tmp");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.config.admin->metrics_allow.empty());
  r = config::LoadString(WithAdmin("<admin metrics-allow=\"10.0.0.0/8,not-a-net\"/>"), "t.xml", "/tmp");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.problems[0].line, 5);
  EXPECT_NE(r.problems[0].message.find("not-a-net"), std::string::npos);
}

}  // namespace
}  // namespace mailtee::admin
