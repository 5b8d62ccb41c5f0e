#include "proxy/smtp/reply.h"

#include <gtest/gtest.h>

namespace mailtee::smtp {
namespace {

TEST(Reply, WireAndText) {
  Reply r;
  r.code = 250;
  r.lines = {"mx.example", "PIPELINING", "SIZE 100"};
  EXPECT_EQ(r.ToWire(), "250-mx.example\r\n250-PIPELINING\r\n250 SIZE 100\r\n");
  EXPECT_EQ(r.Text(), "250 mx.example\nPIPELINING\nSIZE 100");
  EXPECT_EQ(MakeReply("421 4.4.2 timeout").ToWire(), "421 4.4.2 timeout\r\n");
}

TEST(Reply, EnhancedCode) {
  EXPECT_EQ(MakeReply("535 5.7.8 bad").EnhancedCode(), "5.7.8");
  EXPECT_EQ(MakeReply("250 2.0.0 Ok").EnhancedCode(), "2.0.0");
  EXPECT_EQ(MakeReply("250 5.0.0 wrong class").EnhancedCode(), "");
  EXPECT_EQ(MakeReply("250 Ok").EnhancedCode(), "");
}

TEST(ReplyParser, MultiLineSplitAnywhere) {
  const std::string input = "250-mx.example\r\n250-PIPELINING\r\n250 SIZE 100\r\n354 go\r\n";
  for (size_t step = 1; step <= input.size(); ++step) {
    ReplyParser p;
    std::vector<Reply> replies;
    size_t pos = 0;
    while (pos < input.size()) {
      std::string_view chunk = std::string_view(input).substr(pos, std::min(step, input.size() - pos));
      while (!chunk.empty()) {
        size_t used;
        bool complete;
        Reply r;
        ASSERT_TRUE(p.Feed(chunk, &used, &complete, &r).ok());
        chunk.remove_prefix(used);
        pos += used;
        if (complete) replies.push_back(r);
      }
    }
    ASSERT_EQ(replies.size(), 2u) << step;
    EXPECT_EQ(replies[0].code, 250);
    EXPECT_EQ(replies[0].lines.size(), 3u);
    EXPECT_EQ(replies[0].lines[2], "SIZE 100");
    EXPECT_EQ(replies[1].code, 354);
    EXPECT_TRUE(p.idle());
  }
}

Status FeedAll(std::string_view input) {
  ReplyParser p;
  while (!input.empty()) {
    size_t used;
    bool complete;
    Reply r;
    Status s = p.Feed(input, &used, &complete, &r);
    if (!s.ok()) return s;
    input.remove_prefix(used);
  }
  return Status::Ok();
}

TEST(ReplyParser, Errors) {
  EXPECT_FALSE(FeedAll("250-a\r\n251 b\r\n").ok());      // code changed mid-reply
  EXPECT_FALSE(FeedAll("hello\r\n").ok());
  EXPECT_FALSE(FeedAll("650 x\r\n").ok());
  EXPECT_FALSE(FeedAll("250x\r\n").ok());
  EXPECT_FALSE(FeedAll(std::string(5000, '2') + "\r\n").ok());
  EXPECT_TRUE(FeedAll("250\r\n").ok());
  EXPECT_TRUE(FeedAll("220 bare lf ok\n").ok());
}

}  // namespace
}  // namespace mailtee::smtp
