// Body text for keyword rules: ISO-2022-JP 7bit, Shift_JIS base64, UTF-8 QP,
// nested multipart, and a sample cut in the middle of base64.
#include "proxy/approval/body_text.h"

#include <gtest/gtest.h>

#include "proxy/smtp/sasl.h"

namespace mailtee::approval {
namespace {

TEST(BodyTextTest, Iso2022JpSevenBit) {
  // "見積" in ISO-2022-JP: ESC $ B 8+ @Q ESC ( B
  const std::string msg = "Subject: x\r\nContent-Type: text/plain; charset=\"ISO-2022-JP\"\r\n\r\n"
                          "\x1b$B8+@Q\x1b(B desu\r\n";
  EXPECT_EQ(ExtractBodyText(msg), "見積 desu\r\n");
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
