#include "proxy/smtp/line_reader.h"

#include <gtest/gtest.h>

#include <vector>

namespace mailtee::smtp {
namespace {

struct Line {
  LineReader::Kind kind;
  std::string text;
  bool bare_lf, bare_cr;
};

std::vector<Line> ReadAll(LineReader& r, std::string_view input, size_t step) {
  std::vector<Line> out;
  size_t pos = 0;
  while (pos < input.size()) {
    std::string_view chunk = input.substr(pos, std::min(step, input.size() - pos));
    while (!chunk.empty()) {
      LineReader::Event ev;
      size_t used = r.Feed(chunk, &ev);
      chunk.remove_prefix(used);
      pos += used;
      if (ev.kind != LineReader::Kind::kNeedMore)
        out.push_back({ev.kind, std::string(ev.line), ev.bare_lf, ev.bare_cr});
    }
  }
  return out;
}

TEST(LineReader, CrlfSplitAnywhere) {
  const std::string input = "EHLO a\r\nMAIL FROM:<x>\r\n\r\nQUIT\r\n";
  for (size_t step = 1; step <= input.size(); ++step) {
    LineReader r;
    auto lines = ReadAll(r, input, step);
    ASSERT_EQ(lines.size(), 4u) << step;
    EXPECT_EQ(lines[0].text, "EHLO a");
    EXPECT_EQ(lines[1].text, "MAIL FROM:<x>");
    EXPECT_EQ(lines[2].text, "");
    EXPECT_EQ(lines[3].text, "QUIT");
    for (auto& l : lines) EXPECT_FALSE(l.bare_lf || l.bare_cr);
  }
}

TEST(LineReader, StopsAfterOneLine) {
  LineReader r;
  LineReader::Event ev;
  std::string_view input = "DATA\r\nbody bytes";
  size_t used = r.Feed(input, &ev);
  EXPECT_EQ(ev.kind, LineReader::Kind::kLine);
  EXPECT_EQ(ev.line, "DATA");
  EXPECT_EQ(used, 6u);
}

TEST(LineReader, BareLfAndCrReported) {
  LineReader r;
  auto lines = ReadAll(r, "NOOP\nRS\rET\r\n", 100);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_TRUE(lines[0].bare_lf);
  EXPECT_EQ(lines[0].text, "NOOP");
  EXPECT_TRUE(lines[1].bare_cr);
  EXPECT_EQ(lines[1].text, "RS\rET");
}

TEST(LineReader, TooLongIsDiscardedThenRecovers) {
  LineReader r(16);
  std::string input = std::string(100, 'x') + "\r\nNOOP\r\n";
  for (size_t step : {1u, 7u, 200u}) {
    LineReader reader(16);
    auto lines = ReadAll(reader, input, step);
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0].kind, LineReader::Kind::kTooLong);
    EXPECT_EQ(lines[1].kind, LineReader::Kind::kLine);
    EXPECT_EQ(lines[1].text, "NOOP");
  }
}

TEST(LineReader, ResetDropsPartialLine) {
  LineReader r;
  LineReader::Event ev;
  r.Feed("MAIL FR", &ev);
  EXPECT_TRUE(r.has_partial_line());
  r.Reset();
  EXPECT_FALSE(r.has_partial_line());
  r.Feed("NOOP\r\n", &ev);
  EXPECT_EQ(ev.line, "NOOP");
}

}  // namespace
}  // namespace mailtee::smtp
