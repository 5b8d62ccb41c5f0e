// What of a provider's greeting reaches the client: only a strictly valid APOP
// timestamp, inside mailtee's own text (issue 13 item 16).
#include <gtest/gtest.h>

#include <string>

#include "proxy/pop3/greeting.h"

namespace mailtee::pop3 {
namespace {

TEST(Pop3Greeting, KeepsOnlyTheTimestampOfARealGreeting) {
  EXPECT_EQ(ClientGreeting("+OK Dovecot ready. <4c21.1.6571f0a2.x9Qq3n0G2lCn8mDXl0hS5g==@mail.provider.example>"),
            "+OK mailtee POP3 proxy ready <4c21.1.6571f0a2.x9Qq3n0G2lCn8mDXl0hS5g==@mail.provider.example>");
  EXPECT_EQ(ClientGreeting("+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>"),
            "+OK mailtee POP3 proxy ready <1896.697170952@dbc.mtview.ca.us>");
  // Text after the timestamp is dropped like the text before it.
  EXPECT_EQ(ApopTimestamp("+OK <1.2@host> ready"), "<1.2@host>");
}

TEST(Pop3Greeting, InjectedTextNeverReachesTheClient) {
  const std::string injected =
      "+OK [SYS/PERM] mailbox moved, sign in again at http://evil.example/login <1896.697170952@fake.example>";
  EXPECT_EQ(ClientGreeting(injected), "+OK mailtee POP3 proxy ready <1896.697170952@fake.example>");
  EXPECT_EQ(ClientGreeting("+OK Dovecot ready."), "+OK mailtee POP3 proxy ready");
  EXPECT_EQ(ClientGreeting(""), "+OK mailtee POP3 proxy ready");
}

TEST(Pop3Greeting, RefusesEveryTimestampThatIsNotAPlainMsgId) {
  for (const char* greeting : {
           "+OK <1896.697170952fake.example>",           // no '@'
           "+OK <a@b@c>",                                // two '@'
           "+OK <@host>",                                // nothing before '@'
           "+OK <stamp@>",                               // nothing after '@'
           "+OK <a b@host>",                             // space
           "+OK <a\tb@host>",                            // control character
           "+OK <a\x1b[2J@host>",                        // terminal escape
           "+OK <a\x7f@host>",                           // DEL
           "+OK <a\xe3\x81\x82@host>",                   // not ASCII
           "+OK <1@host> <2@host>",                      // which one?
           "+OK <<1@host>",                              // second '<'
           "+OK <1@host>>",                              // second '>'
           "+OK >1@host<",                               // reversed
           "+OK <1@host",                                // unterminated
       }) {
    EXPECT_EQ(ApopTimestamp(greeting), "") << greeting;
    EXPECT_EQ(ClientGreeting(greeting), "+OK mailtee POP3 proxy ready") << greeting;
  }
}

TEST(Pop3Greeting, TimestampLengthIsBounded) {
  std::string longest = "<" + std::string(kMaxApopTimestamp - 4, 'a') + "@h>";
  ASSERT_EQ(longest.size(), kMaxApopTimestamp);
  EXPECT_EQ(ApopTimestamp("+OK " + longest), longest);
  std::string too_long = "<" + std::string(kMaxApopTimestamp - 3, 'a') + "@h>";
  EXPECT_EQ(ApopTimestamp("+OK " + too_long), "");
}

}  // namespace
}  // namespace mailtee::pop3
