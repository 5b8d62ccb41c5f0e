#include "proxy/smtp/transcript.h"

#include <gtest/gtest.h>

namespace mailtee::smtp {
namespace {

TEST(TranscriptText, CommandsAndRepliesPassUnchangedWithoutLineEnd) {
  EXPECT_EQ(TranscriptText("EHLO pc1.example\r\n"), "EHLO pc1.example");
  EXPECT_EQ(TranscriptText("MAIL FROM:<a@example.org> SIZE=100"), "MAIL FROM:<a@example.org> SIZE=100");
  EXPECT_EQ(TranscriptText("250-fake\r\n250 AUTH PLAIN LOGIN\r\n"), "250-fake\r\n250 AUTH PLAIN LOGIN");
  EXPECT_EQ(TranscriptText("334 VXNlcm5hbWU6"), "334 VXNlcm5hbWU6");  // a challenge, not a secret
  EXPECT_EQ(TranscriptText("."), ".");
  EXPECT_EQ(TranscriptText("AUTH LOGIN"), "AUTH LOGIN");
}

TEST(TranscriptText, AuthInitialResponseIsMaskedWhateverTheSpacing) {
  EXPECT_EQ(TranscriptText("AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n"), "AUTH PLAIN ****");
  EXPECT_EQ(TranscriptText("auth plain AGFsaWNlAHNlY3JldA=="), "auth plain ****");
  EXPECT_EQ(TranscriptText("AUTH\tPLAIN\tAGFsaWNlAHNlY3JldA=="), "AUTH\tPLAIN ****");
  EXPECT_EQ(TranscriptText("  AUTH   LOGIN   YWxpY2U= extra"), "  AUTH   LOGIN ****");
  EXPECT_EQ(TranscriptText("AUTH LOGIN YWxpY2U=").find("YWxpY2U"), std::string::npos);
}

TEST(TranscriptText, BareBase64LineIsMaskedAsASaslResponse) {
  EXPECT_EQ(TranscriptText("c2VjcmV0\r\n"), "****");
}

}  // namespace
}  // namespace mailtee::smtp
