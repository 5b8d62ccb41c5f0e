#include "proxy/smtp/sasl.h"

#include <gtest/gtest.h>

namespace mailtee::smtp {
namespace {

TEST(Sasl, Base64RoundTrip) {
  for (std::string s : std::initializer_list<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    auto d = Base64Decode(Base64Encode(s));
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(*d, s);
  }
  EXPECT_EQ(Base64Encode("hello"), "aGVsbG8=");
  EXPECT_FALSE(Base64Decode("aGVsbG8").has_value());
  EXPECT_FALSE(Base64Decode("aG=sbG8=").has_value());
  EXPECT_FALSE(Base64Decode("a===").has_value());
  EXPECT_FALSE(Base64Decode("aGVs*G8=").has_value());
}

TEST(Sasl, Logins) {
  EXPECT_EQ(LoginFromPlain(Base64Encode(std::string("\0alice@example\0secret", 21))), "alice@example");
  EXPECT_EQ(LoginFromPlain(Base64Encode(std::string("admin\0bob\0pw", 12))), "bob");
  EXPECT_FALSE(LoginFromPlain(Base64Encode("no-nul-here")).has_value());
  EXPECT_FALSE(LoginFromPlain(Base64Encode(std::string("\0\0pw", 4))).has_value());
  EXPECT_EQ(LoginFromLoginUsername(Base64Encode("carol")), "carol");
  EXPECT_EQ(LoginFromCramMd5(Base64Encode("tim b913a602c7eda7a495b4e6e7334d3890")), "tim");
  EXPECT_FALSE(LoginFromCramMd5(Base64Encode("nodigest")).has_value());
}

TEST(Sasl, PlainInitialResponse) {
  EXPECT_EQ(PlainInitialResponse("u", "p"), Base64Encode(std::string("\0u\0p", 4)));
  std::string s = "secret";
  WipeString(&s);
  EXPECT_TRUE(s.empty());
}

}  // namespace
}  // namespace mailtee::smtp
