#include "proxy/pop3/response_framer.h"

#include <gtest/gtest.h>

#include <vector>

namespace mailtee::pop3 {
namespace {

struct Recorder : ResponseHandler {
  struct Response {
    StatusKind kind;
    std::string line;
    bool multiline;
    std::string raw;
    std::string body;
    bool complete = false;
  };
  std::vector<Response> responses;
  void OnStatus(StatusKind kind, std::string_view line, bool multiline) override {
    responses.push_back({kind, std::string(line), multiline, "", "", false});
  }
  void OnRaw(std::string_view raw) override { responses.back().raw += raw; }
  void OnBody(std::string_view data) override { responses.back().body += data; }
  void OnComplete(StatusKind kind) override {
    EXPECT_EQ(kind == StatusKind::kContinuation, responses.back().kind == StatusKind::kContinuation);
    responses.back().complete = true;
  }
};

// Feeds input in pieces of `step` bytes, resuming after each completed response.
Status FeedAll(ResponseFramer& framer, std::string_view input, size_t step, Recorder* rec) {
  size_t pos = 0;
  while (pos < input.size()) {
    std::string_view piece = input.substr(pos, step);
    size_t used = 0;
    Status s = framer.Feed(piece, rec, &used);
    if (!s.ok()) return s;
    EXPECT_GT(used, 0u);
    pos += used;
  }
  return Status::Ok();
}

TEST(Pop3ResponseFramer, SingleAndMultiLineInPipelinedOrder) {
  std::string input =
      "+OK 2 320\r\n"
      "+OK scan listing follows\r\n1 120\r\n2 200\r\n.\r\n"
      "-ERR no such message\r\n"
      "+OK 120 octets\r\nSubject: x\r\n\r\n..dot line\r\n.\r\n";
  for (size_t step = 1; step <= input.size(); ++step) {
    ResponseFramer framer;
    framer.Expect(ResponseShape::kSingleLine);
    framer.Expect(ResponseShape::kMultiLineIfOk);
    framer.Expect(ResponseShape::kMultiLineIfOk);  // RETR 9 -> -ERR: one line
    framer.Expect(ResponseShape::kMultiLineIfOk);
    Recorder rec;
    ASSERT_TRUE(FeedAll(framer, input, step, &rec).ok()) << step;
    ASSERT_EQ(rec.responses.size(), 4u) << step;
    EXPECT_EQ(rec.responses[0].line, "+OK 2 320");
    EXPECT_FALSE(rec.responses[0].multiline);
    EXPECT_EQ(rec.responses[1].body, "1 120\r\n2 200\r\n");
    EXPECT_EQ(rec.responses[2].kind, StatusKind::kErr);
    EXPECT_FALSE(rec.responses[2].multiline);
    EXPECT_EQ(rec.responses[3].body, "Subject: x\r\n\r\n.dot line\r\n");
    std::string raw;
    for (auto& r : rec.responses) {
      EXPECT_TRUE(r.complete);
      raw += r.raw;
    }
    EXPECT_EQ(raw, input) << step;
    EXPECT_FALSE(framer.has_pending());
    EXPECT_FALSE(framer.mid_response());
  }
}

TEST(Pop3ResponseFramer, TerminatorLookalikesAreData) {
  // ".\r" not followed by LF, a lone "." line inside stuffing, CR CR LF, bare LF + "."
  std::string body_raw = "a\r\n.\rb\r\n...\r\nc\r\r\n\n.\n.x\r\nend\r\n";
  // (a bare LF does not start a line, so the dots after it are plain data)
  std::string body_unstuffed = "a\r\n\rb\r\n..\r\nc\r\r\n\n.\n.x\r\nend\r\n";
  std::string input = "+OK\r\n" + body_raw + ".\r\n";
  for (size_t step = 1; step <= input.size(); ++step) {
    ResponseFramer framer;
    framer.Expect(ResponseShape::kMultiLineIfOk);
    Recorder rec;
    ASSERT_TRUE(FeedAll(framer, input, step, &rec).ok());
    ASSERT_EQ(rec.responses.size(), 1u);
    EXPECT_EQ(rec.responses[0].body, body_unstuffed) << step;
    EXPECT_EQ(rec.responses[0].raw, input);
    EXPECT_TRUE(rec.responses[0].complete);
  }
}

TEST(Pop3ResponseFramer, EmptyBodyAndStopsAfterEachResponse) {
  ResponseFramer framer;
  framer.Expect(ResponseShape::kMultiLineIfOk);
  framer.Expect(ResponseShape::kSingleLine);
  Recorder rec;
  std::string_view input = "+OK\r\n.\r\n+OK begin TLS\r\nGARBAGE";
  size_t used = 0;
  ASSERT_TRUE(framer.Feed(input, &rec, &used).ok());
  EXPECT_EQ(used, 8u);
  EXPECT_EQ(rec.responses[0].body, "");
  input.remove_prefix(used);
  ASSERT_TRUE(framer.Feed(input, &rec, &used).ok());
  EXPECT_EQ(std::string(input.substr(used)), "GARBAGE");  // left for the caller to drop
  // Nothing pending: more data is a protocol error.
  Status s = framer.Feed("GARBAGE", &rec, &used);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("no command pending"), std::string::npos);
}

TEST(Pop3ResponseFramer, SaslContinuationsKeepAuthPending) {
  ResponseFramer framer;
  framer.Expect(ResponseShape::kSasl);
  Recorder rec;
  size_t used = 0;
  ASSERT_TRUE(framer.Feed("+ VXNlcm5hbWU6\r\n", &rec, &used).ok());
  EXPECT_EQ(rec.responses[0].kind, StatusKind::kContinuation);
  EXPECT_TRUE(framer.has_pending());
  ASSERT_TRUE(framer.Feed("+\r\n", &rec, &used).ok());
  EXPECT_EQ(rec.responses[1].kind, StatusKind::kContinuation);
  ASSERT_TRUE(framer.Feed("+OK logged in\r\n", &rec, &used).ok());
  EXPECT_EQ(rec.responses[2].kind, StatusKind::kOk);
  EXPECT_FALSE(framer.has_pending());
}

TEST(Pop3ResponseFramer, RejectsBadStatusLines) {
  Recorder rec;
  size_t used = 0;
  {
    ResponseFramer framer;
    framer.Expect(ResponseShape::kSingleLine);
    EXPECT_FALSE(framer.Feed("+ continuation where none is allowed\r\n", &rec, &used).ok());
  }
  {
    ResponseFramer framer;
    framer.Expect(ResponseShape::kSingleLine);
    EXPECT_FALSE(framer.Feed("HELLO\r\n", &rec, &used).ok());
  }
  {
    ResponseFramer framer;
    framer.Expect(ResponseShape::kSingleLine);
    std::string huge(kMaxStatusLine + 10, 'x');
    EXPECT_FALSE(framer.Feed("+OK " + huge, &rec, &used).ok());
  }
}

TEST(Pop3ResponseFramer, LargeBodyStreamsWithoutChange) {
  std::string body;
  for (int i = 0; i < 20000; ++i) body += (i % 7 == 0 ? "..stuffed line " : "plain line ") + std::to_string(i) + "\r\n";
  std::string input = "+OK\r\n" + body + ".\r\n";
  std::string expected;
  for (size_t pos = 0; pos < body.size();) {
    size_t lf = body.find('\n', pos);
    std::string line = body.substr(pos, lf + 1 - pos);
    expected += line[0] == '.' ? line.substr(1) : line;
    pos = lf + 1;
  }
  ResponseFramer framer;
  framer.Expect(ResponseShape::kMultiLineIfOk);
  Recorder rec;
  ASSERT_TRUE(FeedAll(framer, input, 65536, &rec).ok());
  EXPECT_EQ(rec.responses[0].body, expected);
  EXPECT_EQ(rec.responses[0].raw, input);
}

}  // namespace
}  // namespace mailtee::pop3
