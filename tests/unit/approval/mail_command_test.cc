// Mail commands: subject (mailto:), reply prefixes, body lines, QP soft
// breaks, Japanese command words, every command and its errors.
#include "proxy/approval/mail_command.h"

#include <gtest/gtest.h>

namespace mailtee::approval {
namespace {

using Kind = MailCommand::Kind;

TEST(MailCommandTest, SubjectFromMailtoLink) {
  MailCommand c = ParseMailCommand("From: bucho@company.example\r\nSubject: approve AbC-_.x9\r\n\r\n");
  EXPECT_EQ(c.kind, Kind::kApprove);
  EXPECT_EQ(c.token, "AbC-_.x9");
}

TEST(MailCommandTest, ReplyPrefixesAndEncodedSubject) {
  // "Re: 差戻 TOKEN 宛先違い" in UTF-8 B encoding.
  MailCommand c = ParseMailCommand("Subject: =?UTF-8?B?UmU6IOW3ruaIuyBUT0tFTiDlrpvlhYjpgZXjgYQ=?=\r\n\r\nbody\r\n");
  EXPECT_EQ(c.kind, Kind::kReject) << c.error;
  EXPECT_EQ(c.token, "TOKEN");
  EXPECT_EQ(c.reason, "宛先違い");
  c = ParseMailCommand("Subject: RE: Fwd: reject TOK because it is wrong\r\n\r\n");
  EXPECT_EQ(c.kind, Kind::kReject);
  EXPECT_EQ(c.reason, "because it is wrong");
}

TEST(MailCommandTest, FirstCommandLineOfTheBodyWhenSubjectHasNone) {
  MailCommand c = ParseMailCommand(
      "Subject: Re: [承認依頼 / Approval request] hello\r\nContent-Type: text/plain\r\n\r\n"
      "\r\nThanks,\r\n  approve abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnop=\r\n"
      "qrstuvwxyz.sig\r\n> approve older\r\n");
  EXPECT_EQ(c.kind, Kind::kApprove) << c.error;
  EXPECT_EQ(c.token, "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz.sig");
}

TEST(MailCommandTest, Waitlist) {
  EXPECT_EQ(ParseCommandLine("waitlist").kind, Kind::kWaitlist);
  EXPECT_EQ(ParseCommandLine("WAITLIST").kind, Kind::kWaitlist);
  EXPECT_EQ(ParseCommandLine("承認待ち").kind, Kind::kWaitlist);
}

TEST(MailCommandTest, SetProxyWithAndWithoutDate) {
  MailCommand c = ParseCommandLine("setproxy Jicho@Company.Example until 2026-12-31");
  EXPECT_EQ(c.kind, Kind::kSetProxy);
  EXPECT_EQ(c.proxy, "jicho@company.example");
  EXPECT_EQ(c.until_date, "2026-12-31");
  c = ParseCommandLine("setproxy jicho@company.example");
  EXPECT_EQ(c.kind, Kind::kSetProxy);
  EXPECT_EQ(c.until_date, "");
  EXPECT_EQ(ParseCommandLine("setproxy").kind, Kind::kClearProxy);
  EXPECT_EQ(ParseCommandLine("setproxy jicho").kind, Kind::kNone);
  EXPECT_EQ(ParseCommandLine("setproxy a@b.example until tomorrow").kind, Kind::kNone);
  EXPECT_EQ(ParseCommandLine("setproxy a@b.example until 2026-13-01").kind, Kind::kNone);
  int64_t end = 0;
  ASSERT_TRUE(EndOfLocalDay("2026-12-31", &end));
  int64_t start_of_next = 0;
  ASSERT_TRUE(EndOfLocalDay("2026-12-30", &start_of_next));
  EXPECT_EQ(end - start_of_next, 86400);
}

TEST(MailCommandTest, HistoryAndWithdraw) {
  EXPECT_EQ(ParseCommandLine("history").days, 7);
  MailCommand c = ParseCommandLine("history 30");
  EXPECT_EQ(c.kind, Kind::kHistory);
  EXPECT_EQ(c.days, 30);
  EXPECT_EQ(ParseCommandLine("history -1").kind, Kind::kNone);
  EXPECT_EQ(ParseCommandLine("history lots").kind, Kind::kNone);
  c = ParseCommandLine("withdraw 20261124-abc");
  EXPECT_EQ(c.kind, Kind::kWithdraw);
  EXPECT_EQ(c.held_id, "20261124-abc");
}

TEST(MailCommandTest, ErrorsSayWhatIsWrong) {
  EXPECT_EQ(ParseCommandLine("approve").error, "approve needs a token: approve <token>");
  EXPECT_EQ(ParseCommandLine("approve <bad token>").kind, Kind::kNone);
  EXPECT_EQ(ParseCommandLine("launch missiles").error, "unknown command 'launch'");
  MailCommand c = ParseMailCommand("Subject: hello\r\n\r\nJust a normal mail\r\n");
  EXPECT_EQ(c.kind, Kind::kNone);
  EXPECT_EQ(c.error, "no command found in the subject or the body");
  EXPECT_EQ(ParseMailCommand("").kind, Kind::kNone);
}

}  // namespace
}  // namespace mailtee::approval
