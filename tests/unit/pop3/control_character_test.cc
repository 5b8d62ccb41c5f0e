// Control characters inside a client line must never be relayed or logged:
// a bare CR can smuggle a second command to a provider that ends lines at CR.
#include <gtest/gtest.h>

#include <string>

#include "proxy/pop3/command.h"
#include "proxy/pop3/line_reader.h"

namespace mailtee::pop3 {
namespace {

std::string ReadOneLine(std::string_view input) {
  LineReader reader;
  size_t used = 0;
  EXPECT_EQ(reader.Next(input, kMaxCommandLine, &used), LineReader::Result::kLine);
  EXPECT_EQ(used, input.size());
  return reader.line();
}

TEST(Pop3ControlCharacters, LineReaderKeepsInnerCrSoTheParserCanRefuseIt) {
  // Only the CR right before LF is framing; the inner one stays in the line.
  EXPECT_EQ(ReadOneLine("USER a\rPASS secret\r\n"), "USER a\rPASS secret");
  EXPECT_EQ(ReadOneLine(std::string("USER a\0b\r\n", 10)), std::string("USER a\0b", 8));
  EXPECT_EQ(ReadOneLine("USER a\x7f\r\n"), "USER a\x7f");
}

TEST(Pop3ControlCharacters, ParserRefusesAndKeepsNothingOfTheLine) {
  const std::string lines[] = {
      "USER a\rPASS secret",
      std::string("USER a\0PASS secret", 18),
      "USER a\x7fPASS secret",
      "PASS se\rcret",
      "PASS secret\r",
      "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r",
      "USER a\tb",
      "NOOP\x1b",
      "\rQUIT",
  };
  for (const std::string& line : lines) {
    Command c;
    Status s = ParseCommand(line, &c);
    EXPECT_FALSE(s.ok()) << line;
    EXPECT_EQ(s.message(), kInvalidCharacterError);
    EXPECT_EQ(c.verb, Verb::kUnknown);
    EXPECT_TRUE(c.argument.empty());
    EXPECT_TRUE(c.name.empty());
    EXPECT_TRUE(c.digest.empty());
  }
}

TEST(Pop3ControlCharacters, HasControlCharacterBoundaries) {
  EXPECT_FALSE(HasControlCharacter("USER alice@example.org ~!"));
  EXPECT_FALSE(HasControlCharacter("\x80\xff"));  // 8-bit bytes are not control characters
  EXPECT_TRUE(HasControlCharacter(std::string(1, '\0')));
  EXPECT_TRUE(HasControlCharacter("\x1f"));
  EXPECT_TRUE(HasControlCharacter("\x7f"));
  EXPECT_TRUE(HasControlCharacter("\n"));
  Command ok;
  EXPECT_TRUE(ParseCommand("PASS se cret", &ok).ok());
}

}  // namespace
}  // namespace mailtee::pop3
