// GET /metrics over real HTTPS: a scraper without a login gets in from an
// allowed address or with the bearer token, and nobody else does.
#include <gtest/gtest.h>

#include "admin_test_harness.h"

namespace mailtee::admin::testing {
namespace {

const std::string kScrapeToken = "scrape-token-0123456789abcdef";

TEST(AdminMetricsAccessTest, LoopbackScraperNeedsNoLogin) {
  AdminHarness h;  // default metrics_allow: loopback; the harness connects from 127.0.0.1
  h.metrics().GetCounter("mailtee_messages_total", "m", {{"listener", "s"}, {"outcome", "relayed"}})->Increment(2);
  HttpResult r = h.Request("GET", "/metrics");
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_NE(r.body.find("mailtee_messages_total{listener=\"s\",outcome=\"relayed\"} 2\n"), std::string::npos);
}

TEST(AdminMetricsAccessTest, OtherAddressesNeedTheTokenOrASession) {
  AdminHarness h([](AdminSettings* s) {
    s->metrics_allow = {*config::Network::Parse("192.0.2.0/24")};  // not where the test connects from
    s->metrics_token = kScrapeToken;
  });
  HttpResult r = h.Request("GET", "/metrics");
  EXPECT_EQ(r.status, 401) << r.raw;
  EXPECT_EQ(r.Header("www-authenticate"), "Bearer realm=\"mailtee metrics\"");
  EXPECT_EQ(r.body.find("mailtee_uptime_seconds"), std::string::npos);

  r = h.Request("GET", "/metrics", {"Authorization: Bearer wrong-token-0123456789abc"});
  EXPECT_EQ(r.status, 403) << r.raw;

  r = h.Request("GET", "/metrics", {"Authorization: Bearer " + kScrapeToken});
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_NE(r.body.find("mailtee_uptime_seconds"), std::string::npos);

  std::string session, csrf;
  ASSERT_TRUE(h.Login(&session, &csrf));
  EXPECT_EQ(h.Request("GET", "/metrics", {session}).status, 200);
}

TEST(AdminMetricsAccessTest, NoAddressAndNoTokenMeansLoginOnly) {
  AdminHarness h([](AdminSettings* s) { s->metrics_allow.clear(); });
  EXPECT_EQ(h.Request("GET", "/metrics").status, 401);
  EXPECT_EQ(h.Request("GET", "/metrics", {"Authorization: Bearer "}).status, 403);
}

}  // namespace
}  // namespace mailtee::admin::testing
