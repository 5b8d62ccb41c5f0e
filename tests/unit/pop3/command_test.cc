#include "proxy/pop3/command.h"

#include <gtest/gtest.h>

#include "proxy/pop3/line_reader.h"

namespace mailtee::pop3 {
namespace {

Command Parse(std::string_view line) {
  Command c;
  Status s = ParseCommand(line, &c);
  EXPECT_TRUE(s.ok()) << line << ": " << s.message();
  return c;
}

std::string Error(std::string_view line) {
  Command c;
  Status s = ParseCommand(line, &c);
  EXPECT_FALSE(s.ok()) << line;
  return s.message();
}

TEST(Pop3Command, ParsesEveryVerbCaseInsensitively) {
  EXPECT_EQ(Parse("user alice").verb, Verb::kUser);
  EXPECT_EQ(Parse("USER alice").name, "alice");
  EXPECT_EQ(Parse("Pass se cret ").argument, "se cret ");
  EXPECT_EQ(Parse("CAPA").verb, Verb::kCapa);
  EXPECT_EQ(Parse("stls").verb, Verb::kStls);
  EXPECT_EQ(Parse("STAT").verb, Verb::kStat);
  EXPECT_EQ(Parse("NOOP").verb, Verb::kNoop);
  EXPECT_EQ(Parse("RSET").verb, Verb::kRset);
  EXPECT_EQ(Parse("QUIT").verb, Verb::kQuit);
  Command apop = Parse("APOP mrose c4c9334bac560ecc979e58001b3e22fb");
  EXPECT_EQ(apop.verb, Verb::kApop);
  EXPECT_EQ(apop.name, "mrose");
  EXPECT_EQ(apop.digest, "c4c9334bac560ecc979e58001b3e22fb");
}

TEST(Pop3Command, MessageNumbers) {
  Command list = Parse("LIST");
  EXPECT_EQ(list.verb, Verb::kList);
  EXPECT_FALSE(list.has_number);
  Command list2 = Parse("LIST 2");
  EXPECT_TRUE(list2.has_number);
  EXPECT_EQ(list2.number, 2u);
  EXPECT_FALSE(Parse("UIDL").has_number);
  EXPECT_EQ(Parse("UIDL 7").number, 7u);
  EXPECT_EQ(Parse("RETR 12").number, 12u);
  EXPECT_EQ(Parse("DELE 3").number, 3u);
  Command top = Parse("TOP 4 0");
  EXPECT_EQ(top.number, 4u);
  EXPECT_EQ(top.lines, 0u);
  EXPECT_EQ(Parse("TOP 4 25").lines, 25u);
}

TEST(Pop3Command, RefusesWhatCouldDesynchroniseFraming) {
  Error("RETR");
  Error("RETR 0");
  Error("RETR x");
  Error("RETR 1 2");
  Error("LIST a");
  Error("LIST 1 2");
  Error("UIDL -1");
  Error("TOP 1");
  Error("TOP 1 x");
  Error("RETR 9999999999");
  Error("STAT 1");
  Error("CAPA x");
  EXPECT_EQ(Error("XTND XMIT"), "unknown command");
  EXPECT_EQ(Error(""), "empty command");
  Error("USER");
  Error("PASS");
  Error("APOP onlyname");
  Error("AUTH");
}

TEST(Pop3Command, AuthMechanismAndInitialResponse) {
  Command a = Parse("auth plain AGFsaWNlAHNlY3JldA==");
  EXPECT_EQ(a.verb, Verb::kAuth);
  EXPECT_EQ(a.name, "PLAIN");
  EXPECT_EQ(a.digest, "AGFsaWNlAHNlY3JldA==");
  Command b = Parse("AUTH LOGIN");
  EXPECT_EQ(b.name, "LOGIN");
  EXPECT_TRUE(b.digest.empty());
  EXPECT_TRUE(IsLoginCommand(Verb::kAuth));
  EXPECT_TRUE(IsLoginCommand(Verb::kPass));
  EXPECT_FALSE(IsLoginCommand(Verb::kRetr));
}

TEST(Pop3LineReader, SplitsOneLineAtATimeAndResumes) {
  LineReader reader;
  std::string_view input = "US";
  size_t used = 0;
  EXPECT_EQ(reader.Next(input, kMaxCommandLine, &used), LineReader::Result::kNeedMore);
  EXPECT_EQ(used, 2u);
  input = "ER a\r\nSTAT\r\nNO";
  EXPECT_EQ(reader.Next(input, kMaxCommandLine, &used), LineReader::Result::kLine);
  EXPECT_EQ(reader.line(), "USER a");
  EXPECT_EQ(used, 6u);
  input.remove_prefix(used);
  EXPECT_EQ(reader.Next(input, kMaxCommandLine, &used), LineReader::Result::kLine);
  EXPECT_EQ(reader.line(), "STAT");
  input.remove_prefix(used);
  EXPECT_EQ(reader.Next(input, kMaxCommandLine, &used), LineReader::Result::kNeedMore);
  EXPECT_TRUE(reader.has_partial_line());
  reader.Reset();
  EXPECT_FALSE(reader.has_partial_line());
  EXPECT_EQ(reader.Next("OP\r\n", kMaxCommandLine, &used), LineReader::Result::kLine);
  EXPECT_EQ(reader.line(), "OP");  // the pre-reset "NO" is gone
}

TEST(Pop3LineReader, OverlongLineIsSkippedThroughItsEnd) {
  LineReader reader;
  std::string longline(3000, 'a');
  size_t used = 0;
  // Fed in pieces: the tail of the long line never becomes a command.
  EXPECT_EQ(reader.Next(longline.substr(0, 1500), kMaxCommandLine, &used), LineReader::Result::kNeedMore);
  std::string rest = longline.substr(1500) + "RETR 1\r\nSTAT\r\n";
  EXPECT_EQ(reader.Next(rest, kMaxCommandLine, &used), LineReader::Result::kTooLong);
  std::string_view after = std::string_view(rest).substr(used);
  EXPECT_EQ(reader.Next(after, kMaxCommandLine, &used), LineReader::Result::kLine);
  EXPECT_EQ(reader.line(), "STAT");
  // Exactly the limit is fine, one more is not.
  std::string limit(kMaxCommandLine, 'b');
  EXPECT_EQ(reader.Next(limit + "\r\n", kMaxCommandLine, &used), LineReader::Result::kLine);
  EXPECT_EQ(reader.Next(limit + "b\r\n", kMaxCommandLine, &used), LineReader::Result::kTooLong);
}

}  // namespace
}  // namespace mailtee::pop3
