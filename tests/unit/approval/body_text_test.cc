// Body text for keyword rules: ISO-2022-JP 7bit, Shift_JIS base64, UTF-8 QP,
// nested multipart, a sample cut in the middle of base64, and Outlook's
// ISO-2022-JP with NEC special characters (①).
#include "proxy/approval/body_text.h"

#include <gtest/gtest.h>

#include "proxy/approval/rules.h"
#include "proxy/smtp/sasl.h"

namespace mailtee::approval {
namespace {

TEST(BodyTextTest, Iso2022JpSevenBit) {
  // "見積" in ISO-2022-JP: ESC $ B 8+ @Q ESC ( B
  const std::string msg = "Subject: x\r\nContent-Type: text/plain; charset=\"ISO-2022-JP\"\r\n\r\n"
                          "\x1b$B8+@Q\x1b(B desu\r\n";
  EXPECT_EQ(ExtractBodyText(msg), "見積 desu\r\n");
}

// Outlook writes "ISO-2022-JP" that is really CP50220: ① is JIS 0x2D21 (NEC
// row 13), outside JIS X 0208. A converter that cannot read it must not lose
// the 至急 after it (issue 14 item 14: glibc's ISO-2022-JP-3 did, byte-shifted).
TEST(BodyTextTest, OutlookCircledDigitThenKeywordIsHeldByABodyRule) {
  const std::string msg = "Subject: x\r\nContent-Type: text/plain; charset=iso-2022-jp\r\n"
                          "Content-Transfer-Encoding: 7bit\r\n\r\n"
                          "\x1b$B\x2d\x21;j5^\x1b(B\r\n";  // ① 至急
  EXPECT_EQ(ExtractBodyText(msg), "①至急\r\n");

  Rule rule;
  rule.sender = "*@company.example";
  rule.when = When::kKeywords;
  rule.match = KeywordScope::kSubjectAndBody;
  rule.keywords = {"至急"};
  rule.approvers = {"bucho@company.example"};
  ApprovalConfig config;
  config.enabled = true;
  config.rules = {rule};
  MessageFacts facts;
  facts.sender = "tanaka@company.example";
  facts.recipients = {"buyer@customer.example"};
  facts.subject = "ご連絡";
  facts.body_sample = ExtractBodyText(msg);
  const HoldDecision d = Evaluate(config, facts);
  EXPECT_TRUE(d.hold);
  EXPECT_EQ(d.reason, "keyword in body: 至急");
}

TEST(BodyTextTest, ShiftJisBase64InsideNestedMultipart) {
  const std::string sjis = "\x8c\xa9\x90\xcf";  // 見積 in Shift_JIS
  const std::string msg =
      "Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\npreamble\r\n--outer\r\n"
      "Content-Type: multipart/alternative;\r\n boundary=inner\r\n\r\n--inner\r\n"
      "Content-Type: text/plain; charset=Shift_JIS\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
      smtp::Base64Encode(sjis) + "\r\n--inner\r\nContent-Type: text/html\r\n\r\n<b>x</b>\r\n--inner--\r\n"
      "--outer\r\nContent-Type: application/pdf\r\n\r\nJVBE\r\n--outer--\r\n";
  EXPECT_EQ(ExtractBodyText(msg), "見積");
}

TEST(BodyTextTest, QuotedPrintableUtf8AndCutSamples) {
  EXPECT_EQ(ExtractBodyText("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                            "=E8=A6=8B=E7=A9=8D soft=\r\nbreak\r\n"),
            "見積 softbreak\r\n");
  EXPECT_EQ(ExtractBodyText("Content-Transfer-Encoding: base64\r\n\r\naGVsbG8gd29y"), "hello wor");
  EXPECT_EQ(ExtractBodyText("Content-Transfer-Encoding: base64\r\n\r\naGVsbG8gd29yb"), "hello wor");
  EXPECT_EQ(ExtractBodyText("Content-Type: image/png\r\n\r\nxx"), "");
  EXPECT_EQ(ExtractBodyText("no header end"), "");
}

}  // namespace
}  // namespace mailtee::approval
