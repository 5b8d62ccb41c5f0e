#include <gtest/gtest.h>

#include "archive/log_book.h"

namespace mailtee::archive {
namespace {

TEST(MaskSecrets, Table) {
  struct Case {
    std::string in, out;
  } cases[] = {
      {"PASS hunter2", "PASS ****"},
      {"pass hunter2 with spaces", "pass ****"},
      {"C: PASS hunter2\r\n", "C: PASS ****\r\n"},
      {"APOP alice c4c9334bac560ecc979e58001b3e22fb", "APOP alice ****"},
      {"AUTH PLAIN AGFsaWNlAHNlY3JldA==", "AUTH PLAIN ****"},
      {"auth login YWxpY2U=", "auth login ****"},
      {"> AUTH CRAM-MD5 dGVzdA==", "> AUTH CRAM-MD5 ****"},
      {"AGFsaWNlAHNlY3JldA==", "****"},
      {"c2VjcmV0", "****"},
      {"Ym9i", "****"},
      {"C: YWxpY2U=\r\n", "C: ****\r\n"},
      // Not secrets: left as they are.
      {"AUTH PLAIN", "AUTH PLAIN"},
      {"AUTH", "AUTH"},
      {"USER alice", "USER alice"},
      {"QUIT", "QUIT"},
      {"quit", "quit"},
      {"DATA", "DATA"},
      {"STARTTLS", "STARTTLS"},
      {"+OK", "+OK"},
      {"*", "*"},
      {"MAIL FROM:<alice@example.com>", "MAIL FROM:<alice@example.com>"},
      {"RETR 1", "RETR 1"},
      {"334 VXNlcm5hbWU6", "334 VXNlcm5hbWU6"},
      {"", ""},
  };
  for (const auto& c : cases) EXPECT_EQ(MaskSecrets(c.in), c.out) << c.in;
}

}  // namespace
}  // namespace mailtee::archive
