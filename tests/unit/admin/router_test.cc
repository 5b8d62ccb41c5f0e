#include "admin/http/router.h"

#include <gtest/gtest.h>

namespace mailtee::admin {
namespace {

Handler Named(std::string* hit, std::string name) {
  return [hit, name](const Request&, Reply reply) {
    *hit = name;
    reply(Response{});
  };
}

TEST(RouterTest, MatchesExactAndCapturesSegments) {
  std::string hit;
  Router router;
  router.Add("GET", "/api/archive/search", Access::kSession, Named(&hit, "search"));
  router.Add("GET", "/api/archive/{id}", Access::kSession, Named(&hit, "show"));
  router.Add("GET", "/api/archive/{id}/eml", Access::kSession, Named(&hit, "eml"));

  RouteMatch m = router.Find("GET", "/api/archive/search");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/api/archive/search");

  m = router.Find("GET", "/api/archive/20261124T162024Z-3f9a0c1be27d");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/api/archive/{id}");
  EXPECT_EQ(m.params["id"], "20261124T162024Z-3f9a0c1be27d");

  m = router.Find("GET", "/api/archive/X/eml");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.params["id"], "X");
}

TEST(RouterTest, UnknownPathIs404) {
  Router router;
  router.Add("GET", "/api/status", Access::kSession, nullptr);
  EXPECT_EQ(router.Find("GET", "/api/statu").status, 404);
  EXPECT_EQ(router.Find("GET", "/api/status/x").status, 404);
  EXPECT_EQ(router.Find("GET", "/api/archive//eml").status, 404);  // empty capture never matches
  EXPECT_EQ(router.Find("GET", "").status, 404);
}

TEST(RouterTest, WrongMethodIs405WithAllow) {
  Router router;
  router.Add("GET", "/api/status", Access::kSession, nullptr);
  router.Add("POST", "/api/login", Access::kPublic, nullptr);
  RouteMatch m = router.Find("DELETE", "/api/status");
  EXPECT_EQ(m.status, 405);
  EXPECT_EQ(m.allow, "GET, HEAD");
  m = router.Find("GET", "/api/login");
  EXPECT_EQ(m.status, 405);
  EXPECT_EQ(m.allow, "POST");
}

TEST(RouterTest, HeadIsServedByGet) {
  Router router;
  router.Add("GET", "/metrics", Access::kSession, nullptr);
  RouteMatch m = router.Find("HEAD", "/metrics");
  ASSERT_NE(m.route, nullptr);
}

TEST(RouterTest, StateChangingMethods) {
  EXPECT_FALSE(IsStateChanging("GET"));
  EXPECT_FALSE(IsStateChanging("HEAD"));
  EXPECT_TRUE(IsStateChanging("POST"));
  EXPECT_TRUE(IsStateChanging("DELETE"));
  EXPECT_TRUE(IsStateChanging("PUT"));
}

}  // namespace
}  // namespace mailtee::admin
