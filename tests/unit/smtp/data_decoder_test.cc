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

namespace mailtee::smtp {
namespace {

// An independent line-based model of docs/smtp.md's rules under "normalize":
// lines end at CRLF, bare LF or bare CR; only a "." line reached through a
// real CRLF (or first) and ended by CRLF ends the data; a leading dot is
// stuffing; upstream lines are canonically re-stuffed.
Decoded ReferenceNormalize(std::string_view in) {
  Decoded out;
  size_t pos = 0;
  bool strict = true;
  while (pos < in.size()) {
    size_t end = pos;
    while (end < in.size() && in[end] != '\r' && in[end] != '\n') ++end;
    if (end == in.size()) break;  // unterminated: not exercised (inputs end with the terminator)
    std::string_view line = in.substr(pos, end - pos);
    bool crlf = in[end] == '\r' && end + 1 < in.size() && in[end + 1] == '\n';
    size_t next = end + (crlf ? 2 : 1);
    if (strict && crlf && line == ".") {
      out.done = true;
      out.consumed = next;
      return out;
    }
    std::string content(line.size() > 1 && line[0] == '.' ? line.substr(1) : line);
    out.archive += content + "\r\n";
    out.upstream += (content.size() && content[0] == '.' ? "." : "") + content + "\r\n";
    strict = crlf;
    pos = next;
  }
  out.consumed = pos;
  return out;
}

// The fast path (whole runs of text copied at once) against the model, with
// random chunkings, so a run cut at any boundary is exercised.
TEST(DataDecoder, MatchesLineModelOnRandomInputs) {
  uint32_t seed = 12345;
  auto next = [&seed] { return seed = seed * 1103515245u + 12345u, (seed >> 16) & 0x7fff; };
  const char alphabet[] = {'a', 'b', '.', '\r', '\n', '\r', 'x', '.'};
  for (int round = 0; round < 3000; ++round) {
    std::string body;
    size_t len = next() % 40;
    for (size_t k = 0; k < len; ++k) body += alphabet[next() % sizeof(alphabet)];
    std::string input = body + "\r\n.\r\nNEXT";
    Decoded want = ReferenceNormalize(input);
    ASSERT_TRUE(want.done);
    size_t step = 1 + next() % 8;
    Decoded got = DecodeAll(input, BareNewline::kNormalize, step);
    ASSERT_TRUE(got.done) << round;
    EXPECT_EQ(got.consumed, want.consumed) << round;
    EXPECT_EQ(got.archive, want.archive) << round;
    EXPECT_EQ(got.upstream, want.upstream) << round;
    Decoded whole = DecodeAll(input, BareNewline::kNormalize);
    EXPECT_EQ(whole.archive, want.archive) << round;
  }
}

}  // namespace
}  // namespace mailtee::smtp
