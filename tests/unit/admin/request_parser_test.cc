#include "admin/http/request_parser.h"

#include <gtest/gtest.h>

namespace mailtee::admin {
namespace {

TEST(RequestParserTest, ParsesPathQueryHeadersBody) {
  RequestParser p;
  std::string in =
      "POST /api/lo%67in?a=1&b=x+y%21 HTTP/1.1\r\nHost: h\r\nX-Csrf-Token: t\r\nContent-Length: 4\r\n\r\nbody";
  size_t used = 0;
  ASSERT_EQ(p.Feed(in, &used), RequestParser::Result::kRequest);
  EXPECT_EQ(used, in.size());
  Request r = p.TakeRequest();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/api/login");
  EXPECT_EQ(r.Query("a"), "1");
  EXPECT_EQ(r.Query("b"), "x y!");
  EXPECT_EQ(r.Header("x-csrf-token"), "t");
  EXPECT_EQ(r.body, "body");
  EXPECT_TRUE(r.keep_alive);
}

TEST(RequestParserTest, ByteAtATime) {
  RequestParser p;
  std::string in = "GET /x HTTP/1.1\r\nHost: h\r\n\r\n";
  for (size_t i = 0; i < in.size(); ++i) {
    size_t used = 0;
    auto result = p.Feed(in.substr(i, 1), &used);
    EXPECT_EQ(used, 1u);
    if (i + 1 < in.size()) {
      ASSERT_EQ(result, RequestParser::Result::kNeedMore) << i;
      EXPECT_TRUE(p.in_progress());
    } else {
      ASSERT_EQ(result, RequestParser::Result::kRequest);
    }
  }
  EXPECT_EQ(p.TakeRequest().path, "/x");
}

TEST(RequestParserTest, PipelinedRequestsStopAtEachBoundary) {
  RequestParser p;
  std::string in = "GET /a HTTP/1.1\r\nHost: h\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 2\r\n\r\nhiGET /c HTTP/1.0\r\n\r\n";
  std::vector<std::string> paths;
  while (!in.empty()) {
    size_t used = 0;
    auto result = p.Feed(in, &used);
    in.erase(0, used);
    ASSERT_EQ(result, RequestParser::Result::kRequest);
    Request r = p.TakeRequest();
    paths.push_back(r.path + ":" + r.body + (r.keep_alive ? "" : ":close"));
  }
  EXPECT_EQ(paths, (std::vector<std::string>{"/a:", "/b:hi", "/c::close"}));
}

TEST(RequestParserTest, ConnectionCloseIsNotKeepAlive) {
  RequestParser p;
  size_t used = 0;
  ASSERT_EQ(p.Feed("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", &used), RequestParser::Result::kRequest);
  EXPECT_FALSE(p.TakeRequest().keep_alive);
}

TEST(RequestParserTest, MalformedIs400) {
  RequestParser p;
  size_t used = 0;
  EXPECT_EQ(p.Feed("GARBAGE\r\n\r\n", &used), RequestParser::Result::kError);
  EXPECT_EQ(p.error_status(), 400);
  // Dead after an error.
  EXPECT_EQ(p.Feed("GET / HTTP/1.1\r\n\r\n", &used), RequestParser::Result::kError);
}

TEST(RequestParserTest, AbsoluteFormTargetIs400) {
  RequestParser p;
  size_t used = 0;
  EXPECT_EQ(p.Feed("GET http://x/ HTTP/1.1\r\n\r\n", &used), RequestParser::Result::kError);
  EXPECT_EQ(p.error_status(), 400);
}

TEST(RequestParserTest, BodyOverLimitIs413BeforeReadingIt) {
  ParserLimits limits;
  limits.max_body_bytes = 10;
  RequestParser p(limits);
  size_t used = 0;
  EXPECT_EQ(p.Feed("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", &used), RequestParser::Result::kError);
  EXPECT_EQ(p.error_status(), 413);
}

TEST(RequestParserTest, ChunkedBodyOverLimitIs413) {
  ParserLimits limits;
  limits.max_body_bytes = 10;
  RequestParser p(limits);
  size_t used = 0;
  EXPECT_EQ(p.Feed("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n123456\r\n6\r\n123456\r\n0\r\n\r\n",
                   &used),
            RequestParser::Result::kError);
  EXPECT_EQ(p.error_status(), 413);
}

TEST(RequestParserTest, HugeHeadersAre431) {
  ParserLimits limits;
  limits.max_head_bytes = 100;
  RequestParser p(limits);
  size_t used = 0;
  EXPECT_EQ(p.Feed("GET / HTTP/1.1\r\nX: " + std::string(200, 'a') + "\r\n\r\n", &used),
            RequestParser::Result::kError);
  EXPECT_EQ(p.error_status(), 431);
}

TEST(RequestParserTest, TooManyHeadersAre431) {
  ParserLimits limits;
  limits.max_headers = 3;
  RequestParser p(limits);
  size_t used = 0;
  EXPECT_EQ(p.Feed("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", &used), RequestParser::Result::kError);
  EXPECT_EQ(p.error_status(), 431);
}

TEST(RequestParserTest, Http2PrefaceIsRejected) {
  RequestParser p;
  size_t used = 0;
  EXPECT_EQ(p.Feed("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", &used), RequestParser::Result::kError);
}

TEST(RequestParserTest, ExpectContinue) {
  RequestParser p;
  size_t used = 0;
  EXPECT_EQ(p.Feed("POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n", &used),
            RequestParser::Result::kNeedMore);
  EXPECT_TRUE(p.wants_continue());
  p.continue_sent();
  EXPECT_FALSE(p.wants_continue());
  EXPECT_EQ(p.Feed("ok", &used), RequestParser::Result::kRequest);
}

TEST(QueryStringTest, DecodesAndKeepsInvalidEscapes) {
  auto q = ParseQueryString("a=%zz&b=%41%42&c&d=1%");
  EXPECT_EQ(q["a"], "%zz");
  EXPECT_EQ(q["b"], "AB");
  EXPECT_EQ(q["c"], "");
  EXPECT_EQ(q["d"], "1%");
}

}  // namespace
}  // namespace mailtee::admin
