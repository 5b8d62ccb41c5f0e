#include "proxy/smtp/command.h"

#include <gtest/gtest.h>

namespace mailtee::smtp {
namespace {

Command Ok(std::string_view line) {
  auto r = ParseCommand(line);
  EXPECT_TRUE(r.ok) << line << ": " << r.error;
  return r.command;
}

std::string Err(std::string_view line) {
  auto r = ParseCommand(line);
  EXPECT_FALSE(r.ok) << line;
  return r.error;
}

TEST(Command, EhloHelo) {
  EXPECT_EQ(Ok("ehlo client.example").argument, "client.example");
  EXPECT_EQ(Ok("EHLO [192.0.2.1]").ToWire(), "EHLO [192.0.2.1]\r\n");
  EXPECT_EQ(Ok("HELO x").verb, Verb::kHelo);
  EXPECT_EQ(Err("EHLO"), "501 5.5.4 Syntax: EHLO hostname");
  EXPECT_EQ(Err("EHLO   "), "501 5.5.4 Syntax: EHLO hostname");
}

TEST(Command, MailFrom) {
  Command c = Ok("MAIL FROM:<a@b.example> SIZE=1000 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=QQ314159");
  EXPECT_EQ(c.verb, Verb::kMail);
  EXPECT_EQ(c.path, "a@b.example");
  ASSERT_NE(c.FindParam("SIZE"), nullptr);
  EXPECT_EQ(*c.FindParam("SIZE"), "1000");
  EXPECT_EQ(*c.FindParam("SMTPUTF8"), "");
  EXPECT_EQ(c.ToWire(), "MAIL FROM:<a@b.example> SIZE=1000 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=QQ314159\r\n");
  EXPECT_EQ(Ok("mail from:<>").path, "");
  EXPECT_EQ(Ok("MAIL FROM: <x@y>").path, "x@y");
  EXPECT_EQ(Ok("MAIL FROM:<\"a >b\"@c>").path, "\"a >b\"@c");
  EXPECT_EQ(Ok("MAIL FROM:<ü@例え.jp> SMTPUTF8").path, "ü@例え.jp");
  EXPECT_EQ(Ok("MAIL FROM:<a@b> body=8bitmime").params[0].first, "BODY");
}

TEST(Command, MailFromErrors) {
  EXPECT_EQ(Err("MAIL"), "501 5.5.4 Syntax: MAIL FROM:<address>");
  EXPECT_EQ(Err("MAIL FROM:a@b"), "501 5.5.4 Syntax: MAIL FROM:<address>");
  EXPECT_EQ(Err("MAIL FROM:<a@b"), "501 5.5.4 Syntax: MAIL FROM:<address>");
  EXPECT_EQ(Err("MAIL TO:<a@b>"), "501 5.5.4 Syntax: MAIL FROM:<address>");
  EXPECT_EQ(Err("MAIL FROM:<a@b>x"), "501 5.5.4 Syntax: MAIL FROM:<address>");
  EXPECT_EQ(Err("MAIL FROM:<a b@c>"), "501 5.5.4 Syntax: MAIL FROM:<address>");
  EXPECT_EQ(Err("MAIL FROM:<a@b> SIZE=abc"), "501 5.5.4 Syntax: SIZE=<number>");
  EXPECT_EQ(Err("MAIL FROM:<a@b> BODY=9BIT"), "501 5.5.4 Syntax: BODY=7BIT|8BITMIME");
  EXPECT_EQ(Err("MAIL FROM:<a@b> XCLIENT=1"), "555 5.5.4 unsupported MAIL parameter XCLIENT");
  EXPECT_EQ(Err("MAIL FROM:<a@b> SIZE="), "501 5.5.4 Syntax: malformed parameters");
}

// BINARYMIME is not advertised (its BDAT bytes would skip the bare LF/CR check): refused, in any case.
TEST(Command, BinaryMimeRefused) {
  const std::string refusal = "555 5.5.4 BODY=BINARYMIME is not offered here; send the message as 7BIT or 8BITMIME";
  EXPECT_EQ(Err("MAIL FROM:<a@b> BODY=BINARYMIME"), refusal);
  EXPECT_EQ(Err("MAIL FROM:<a@b> SIZE=10 body=binaryMIME"), refusal);
}

TEST(Command, RcptTo) {
  Command c = Ok("RCPT TO:<x@y> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;x@y");
  EXPECT_EQ(c.path, "x@y");
  EXPECT_EQ(c.ToWire(), "RCPT TO:<x@y> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;x@y\r\n");
  EXPECT_EQ(Err("RCPT TO:<>"), "501 5.1.3 null recipient address not allowed");
  EXPECT_EQ(Err("RCPT TO:<x@y> NOTIFY=SOMETIMES"), "501 5.5.4 Syntax: NOTIFY=NEVER|SUCCESS,FAILURE,DELAY");
  EXPECT_EQ(Err("RCPT TO:<x@y> SIZE=1"), "555 5.5.4 unsupported RCPT parameter SIZE");
  EXPECT_EQ(Err("RCPT FROM:<x@y>"), "501 5.5.4 Syntax: RCPT TO:<address>");
}

TEST(Command, SimpleVerbs) {
  EXPECT_EQ(Ok("data").verb, Verb::kData);
  EXPECT_EQ(Err("DATA now"), "501 5.5.4 Syntax: DATA");
  EXPECT_EQ(Ok("RSET").ToWire(), "RSET\r\n");
  EXPECT_EQ(Ok("QUIT").verb, Verb::kQuit);
  EXPECT_EQ(Ok("StartTLS").verb, Verb::kStartTls);
  EXPECT_EQ(Err("STARTTLS x"), "501 5.5.4 Syntax: STARTTLS");
  EXPECT_EQ(Ok("NOOP hi").ToWire(), "NOOP hi\r\n");
  EXPECT_EQ(Err("VRFY"), "501 5.5.4 Syntax: VRFY address");
  EXPECT_EQ(Ok("HELP").verb, Verb::kHelp);
  EXPECT_EQ(Err("XCLIENT ADDR=1.2.3.4"), "500 5.5.2 command not recognized");
  EXPECT_EQ(Err(""), "500 5.5.2 command not recognized");
  EXPECT_EQ(Err("NOOP \x01"), "500 5.5.2 invalid character in command");
}

TEST(Command, Bdat) {
  Command c = Ok("BDAT 1000 LAST");
  EXPECT_EQ(c.chunk_size, 1000u);
  EXPECT_TRUE(c.last);
  EXPECT_EQ(c.ToWire(), "BDAT 1000 LAST\r\n");
  EXPECT_FALSE(Ok("BDAT 0").last);
  EXPECT_EQ(Err("BDAT"), "501 5.5.4 Syntax: BDAT chunk-size [LAST]");
  EXPECT_EQ(Err("BDAT -1"), "501 5.5.4 Syntax: BDAT chunk-size [LAST]");
  EXPECT_EQ(Err("BDAT 10 FIRST"), "501 5.5.4 Syntax: BDAT chunk-size [LAST]");
  EXPECT_EQ(Err("BDAT 99999999999999999999"), "501 5.5.4 Syntax: BDAT chunk-size [LAST]");
}

TEST(Command, Auth) {
  Command c = Ok("auth plain AGFsaWNlAHNlY3JldA==");
  EXPECT_EQ(c.argument, "PLAIN");
  ASSERT_TRUE(c.initial_response.has_value());
  EXPECT_EQ(*c.initial_response, "AGFsaWNlAHNlY3JldA==");
  EXPECT_EQ(Ok("AUTH LOGIN").initial_response, std::nullopt);
  EXPECT_EQ(*Ok("AUTH PLAIN =").initial_response, "=");
  EXPECT_EQ(Ok("AUTH CRAM-MD5").ToWire(), "AUTH CRAM-MD5\r\n");
  EXPECT_EQ(Err("AUTH"), "501 5.5.4 Syntax: AUTH mechanism [initial-response]");
  EXPECT_EQ(Err("AUTH PLAIN a b"), "501 5.5.4 Syntax: AUTH mechanism [initial-response]");
  EXPECT_EQ(Err("AUTH P@AIN"), "501 5.5.4 Syntax: AUTH mechanism [initial-response]");
}

}  // namespace
}  // namespace mailtee::smtp
