// The Origin check of the console API and the approval-link form
// (admin/http/origin_check.h). Issue 13 item 8.
#include <gtest/gtest.h>

#include "admin/http/origin_check.h"

namespace mailtee::admin {
namespace {

Request WithOrigin(const std::string& origin, const std::string& host) {
  Request r;
  if (!origin.empty()) r.headers["origin"] = origin;
  if (!host.empty()) r.headers["host"] = host;
  return r;
}

TEST(OriginCheckTest, OriginOfDropsThePathTheCaseAndTheDefaultPort) {
  EXPECT_EQ(OriginOf("https://Mailtee.Example:8443/approval/x"), "https://mailtee.example:8443");
  EXPECT_EQ(OriginOf("https://mailtee.example:443"), "https://mailtee.example");
  EXPECT_EQ(OriginOf("https://mailtee.example"), "https://mailtee.example");
}

TEST(OriginCheckTest, WithAPublicUrlOnlyItsOriginCounts) {
  const std::string url = "https://mailtee.example:8443";
  EXPECT_TRUE(OriginIsThisServer(WithOrigin("https://mailtee.example:8443", "10.0.0.5:8443"), url));
  EXPECT_TRUE(OriginIsThisServer(WithOrigin("", "10.0.0.5:8443"), url));  // curl: the CSRF token decides
  // The Host header is the client's to choose (DNS rebinding): it vouches for nothing.
  EXPECT_FALSE(OriginIsThisServer(WithOrigin("https://evil.example:8443", "evil.example:8443"), url));
  EXPECT_FALSE(OriginIsThisServer(WithOrigin("https://10.0.0.5:8443", "10.0.0.5:8443"), url));
}

TEST(OriginCheckTest, WithoutAPublicUrlTheHostHeaderIsTheOrigin) {
  EXPECT_TRUE(OriginIsThisServer(WithOrigin("https://10.0.0.5:8443", "10.0.0.5:8443"), ""));
  EXPECT_FALSE(OriginIsThisServer(WithOrigin("http://10.0.0.5:8443", "10.0.0.5:8443"), ""));
  EXPECT_FALSE(OriginIsThisServer(WithOrigin("https://evil.example", "10.0.0.5:8443"), ""));
  EXPECT_FALSE(OriginIsThisServer(WithOrigin("https://evil.example", ""), ""));
}

}  // namespace
}  // namespace mailtee::admin
