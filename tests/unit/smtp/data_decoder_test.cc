#include "proxy/smtp/data_decoder.h"

#include <gtest/gtest.h>

#include <string>

namespace mailtee::smtp {
namespace {

using config::BareNewline;

struct Decoded {
  std::string archive, upstream;
  size_t consumed = 0;
  bool done = false, rejected = false;
};

// Feeds input split at the given boundaries (every chunk size = step).
Decoded DecodeAll(std::string_view input, BareNewline policy, size_t step = 0) {
  DataDecoder d(policy);
  Decoded out;
  if (step == 0) step = input.size() ? input.size() : 1;
  size_t pos = 0;
  while (pos < input.size() && !d.done()) {
    size_t n = std::min(step, input.size() - pos);
    size_t used = d.Decode(input.substr(pos, n), &out.archive, &out.upstream);
    pos += used;
    if (used < n) break;
  }
  out.consumed = pos;
  out.done = d.done();
  out.rejected = d.rejected();
  return out;
}

TEST(DataDecoder, LoneDotFirstLineIsEmptyMessage) {
  auto r = DecodeAll(".\r\nQUIT\r\n", BareNewline::kReject);
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.archive, "");
  EXPECT_EQ(r.upstream, "");
  EXPECT_EQ(r.consumed, 3u);  // QUIT is left for the command reader
}

TEST(DataDecoder, SimpleMessage) {
  auto r = DecodeAll("Subject: x\r\n\r\nhello\r\n.\r\n", BareNewline::kReject);
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.archive, "Subject: x\r\n\r\nhello\r\n");
  EXPECT_EQ(r.upstream, "Subject: x\r\n\r\nhello\r\n");
}

TEST(DataDecoder, DotStuffingRemovedAndRestored) {
  auto r = DecodeAll("..x\r\n..\r\n.y\r\n.\r\n", BareNewline::kReject);
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.archive, ".x\r\n.\r\ny\r\n");
  EXPECT_EQ(r.upstream, "..x\r\n..\r\ny\r\n");  // canonical stuffing of the archived lines
}

TEST(DataDecoder, EveryChunkBoundary) {
  const std::string input = "a\r\n..b\r\n\r\nc.\r\n.\r\nNEXT";
  auto whole = DecodeAll(input, BareNewline::kReject);
  ASSERT_TRUE(whole.done);
  for (size_t step = 1; step <= input.size(); ++step) {
    auto r = DecodeAll(input, BareNewline::kReject, step);
    EXPECT_TRUE(r.done) << step;
    EXPECT_EQ(r.archive, whole.archive) << step;
    EXPECT_EQ(r.upstream, whole.upstream) << step;
    EXPECT_EQ(r.consumed, input.size() - 4) << step;
  }
  // Split at every single position into two chunks.
  for (size_t cut = 0; cut <= input.size(); ++cut) {
    DataDecoder d(BareNewline::kReject);
    std::string a, u;
    size_t used = d.Decode(std::string_view(input).substr(0, cut), &a, &u);
    if (!d.done()) used += d.Decode(std::string_view(input).substr(used), &a, &u);
    EXPECT_TRUE(d.done()) << cut;
    EXPECT_EQ(a, whole.archive) << cut;
    EXPECT_EQ(used, input.size() - 4) << cut;
  }
}

TEST(DataDecoder, MessageWithoutFinalCrlfBeforeDotIsNotEnd) {
  auto r = DecodeAll("abc.\r\nmore\r\n.\r\n", BareNewline::kReject);
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.archive, "abc.\r\nmore\r\n");
}

TEST(DataDecoder, NotDoneWithoutTerminator) {
  auto r = DecodeAll("abc\r\n", BareNewline::kReject);
  EXPECT_FALSE(r.done);
  EXPECT_EQ(r.archive, "abc\r\n");
}

TEST(DataDecoder, LongLinesAndNulPassThrough) {
  std::string line(5000, 'x');
  line[10] = '\0';
  auto r = DecodeAll(line + "\r\n.\r\n", BareNewline::kReject, 777);
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.archive, line + "\r\n");
}

// SMTP smuggling: none of these may end the data, under either policy.
const char* kSmuggling[] = {"\n.\n", "\r.\r", "\n.\r\n", "\r\n.\n", "\r.\r\n", "\r\n.\r"};

TEST(DataDecoder, SmugglingRejected) {
  for (const char* s : kSmuggling) {
    std::string input = std::string("a") + s + "MAIL FROM:<evil@x>\r\n.\r\nNEXT";
    auto r = DecodeAll(input, BareNewline::kReject);
    EXPECT_TRUE(r.done) << testing::PrintToString(s);
    EXPECT_TRUE(r.rejected) << testing::PrintToString(s);
    EXPECT_EQ(r.consumed, input.size() - 4) << testing::PrintToString(s);
    // Nothing after the bare newline was emitted.
    EXPECT_EQ(r.upstream.find("MAIL"), std::string::npos);
  }
}

TEST(DataDecoder, SmugglingNormalizedNeverEndsUpstream) {
  for (const char* s : kSmuggling) {
    std::string input = std::string("a") + s + "MAIL FROM:<evil@x>\r\n.\r\nNEXT";
    for (size_t step = 1; step <= input.size(); ++step) {
      auto r = DecodeAll(input, BareNewline::kNormalize, step);
      ASSERT_TRUE(r.done) << testing::PrintToString(s);
      EXPECT_FALSE(r.rejected);
      EXPECT_EQ(r.consumed, input.size() - 4);
      // Upstream never contains an end-of-data sequence before we add ours.
      std::string framed = "\r\n" + r.upstream;
      EXPECT_EQ(framed.find("\r\n.\r\n"), std::string::npos) << testing::PrintToString(s) << " " << step;
      EXPECT_NE(r.upstream.find("MAIL FROM"), std::string::npos);
      // Every line end in both outputs is CRLF.
      for (const std::string* out : std::initializer_list<const std::string*>{&r.archive, &r.upstream}) {
        for (size_t i = 0; i < out->size(); ++i) {
          if ((*out)[i] == '\n') {
            EXPECT_TRUE(i > 0 && (*out)[i - 1] == '\r');
          }
          if ((*out)[i] == '\r') {
            EXPECT_TRUE(i + 1 < out->size() && (*out)[i + 1] == '\n');
          }
        }
      }
    }
  }
}

TEST(DataDecoder, NormalizeKeepsLoneDotLineAsContent) {
  auto r = DecodeAll("a\n.\nb\r\n.\r\n", BareNewline::kNormalize);
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.archive, "a\r\n.\r\nb\r\n");
  EXPECT_EQ(r.upstream, "a\r\n..\r\nb\r\n");
}

TEST(DataDecoder, NormalizeBareCrAndLf) {
  auto r = DecodeAll("a\rb\nc\r\r\n.\r\n", BareNewline::kNormalize);
  EXPECT_TRUE(r.done);
  EXPECT_EQ(r.archive, "a\r\nb\r\nc\r\n\r\n");
}

TEST(DataDecoder, RejectAtVeryEndStillFindsTerminator) {
  auto r = DecodeAll("a\n\r\n.\r\n", BareNewline::kReject);
  EXPECT_TRUE(r.done);
  EXPECT_TRUE(r.rejected);
}

TEST(BareNewlineScanner, AcrossChunks) {
  BareNewlineScanner s;
  EXPECT_TRUE(s.Scan("abc\r"));
  EXPECT_TRUE(s.Scan("\nxyz\r"));
  EXPECT_TRUE(s.Finish() == false);  // trailing CR is bare
  BareNewlineScanner t;
  EXPECT_FALSE(t.Scan("a\nb"));
  BareNewlineScanner u;
  EXPECT_TRUE(u.Scan("a\r\nb\r\n"));
  EXPECT_TRUE(u.Finish());
}

}  // namespace
}  // namespace mailtee::smtp
