// DecodeHeaderValue, RFC 2231 parameters and address lists with the
// encodings real mailers produce.
#include <gtest/gtest.h>

#include "archive/analysis_address.h"
#include "archive/charset.h"
#include "archive/message_summary.h"
#include "archive/mime_params.h"

namespace mailtee::archive {
namespace {

TEST(DecodeHeaderValue, Iso2022JpSplitAcrossTwoWords) {
  EXPECT_EQ(DecodeHeaderValue("=?ISO-2022-JP?B?GyRCMnE1RCROJCpDTiRpJDsbKEI=?=\r\n"
                              " =?ISO-2022-JP?B?GyRCIUpNaD01N25NSyFLGyhC?="),
            "会議のお知らせ（来週月曜）");
}

TEST(DecodeHeaderValue, CharsetNamesAreCaseInsensitive) {
  EXPECT_EQ(DecodeHeaderValue("=?iso-2022-jp?b?GyRCOCtAUT1xGyhCLnBkZg==?="), "見積書.pdf");
}

TEST(DecodeHeaderValue, QEncodingUnderscoreIsSpace) {
  EXPECT_EQ(DecodeHeaderValue("=?UTF-8?Q?caf=C3=A9_au_lait?="), "café au lait");
}

TEST(DecodeHeaderValue, WhitespaceBetweenWordsDroppedButNotAroundText) {
  EXPECT_EQ(DecodeHeaderValue("Re: =?UTF-8?Q?a?= \t =?UTF-8?Q?b?= c"), "Re: ab c");
}

TEST(DecodeHeaderValue, MultiByteCharacterSplitAcrossWords) {
  // "あ" = E3 81 82 split between two words.
  EXPECT_EQ(DecodeHeaderValue("=?UTF-8?Q?=E3=81?= =?UTF-8?Q?=82?="), "あ");
}

TEST(DecodeHeaderValue, ShiftJisIsReadAsCp932) {
  EXPECT_EQ(DecodeHeaderValue("=?Shift_JIS?B?h0CUhI/jgWAueGxzeA==?="), "①売上～.xlsx");
}

TEST(DecodeHeaderValue, EucJp) { EXPECT_EQ(DecodeHeaderValue("=?EUC-JP?B?vbXK86THpLk=?="), "週報です"); }

TEST(DecodeHeaderValue, Iso2022JpWithNecSpecialCharacter) {
  EXPECT_EQ(DecodeHeaderValue("=?ISO-2022-JP?B?GyRCLSEbKEI=?="), "①");
}

TEST(DecodeHeaderValue, ChineseKoreanAndWindows1252) {
  EXPECT_EQ(DecodeHeaderValue("=?GB2312?B?1tDOxA==?="), "中文");
  EXPECT_EQ(DecodeHeaderValue("=?Big5?B?pKSk5Q==?="), "中文");
  EXPECT_EQ(DecodeHeaderValue("=?EUC-KR?B?x9GxuQ==?="), "한국");
  EXPECT_EQ(DecodeHeaderValue("=?windows-1252?B?k2hplIA=?="), "“hi”€");
  EXPECT_EQ(DecodeHeaderValue("=?ISO-8859-15?Q?=A4?="), "€");
}

TEST(DecodeHeaderValue, LanguageSuffix) { EXPECT_EQ(DecodeHeaderValue("=?UTF-8*ja?Q?=E3=81=82?="), "あ"); }

TEST(DecodeHeaderValue, MalformedWordsAreLeftAsIs) {
  EXPECT_EQ(DecodeHeaderValue("=?UTF-8?X?abc?="), "=?UTF-8?X?abc?=");
  EXPECT_EQ(DecodeHeaderValue("=?UTF-8?B?!!!?="), "=?UTF-8?B?!!!?=");
  EXPECT_EQ(DecodeHeaderValue("=?UTF-8?Q?open"), "=?UTF-8?Q?open");
  EXPECT_EQ(DecodeHeaderValue("=?x-unknown?Q?abc?="), "=?x-unknown?Q?abc?=");
}

TEST(DecodeHeaderValue, RawEightBitBytes) {
  EXPECT_EQ(DecodeHeaderValue("caf\xC3\xA9"), "café");                      // UTF-8 kept
  EXPECT_EQ(DecodeHeaderValue("\x87\x40\x94\x84\x8f\xe3"), "①売上");         // CP932
  EXPECT_EQ(DecodeHeaderValue("\xbd\xb5\xca\xf3\xa4\xc7\xa4\xb9"), "週報です");  // EUC-JP
  EXPECT_EQ(DecodeHeaderValue("caf\xE9!"), "café!");                        // Latin-1
  EXPECT_EQ(DecodeHeaderValue("\x1b$B8+@Q=q\x1b(B.pdf"), "見積書.pdf");      // raw ISO-2022-JP
}

TEST(DecodeHeaderValue, OutputIsAlwaysValidUtf8) {
  EXPECT_TRUE(IsValidUtf8(DecodeHeaderValue("=?UTF-8?Q?=FF=FE?=")));
  EXPECT_TRUE(IsValidUtf8(DecodeHeaderValue("=?Shift_JIS?Q?=81?=")));
  EXPECT_TRUE(IsValidUtf8(DecodeHeaderValue("=?ISO-2022-JP?Q?=1B$B=7F=7F?=")));
}

TEST(DecodeHeaderValue, HostileInputStaysLinear) {
  // Quadratic scanning would take minutes on these; linear takes milliseconds.
  std::string opens, unclosed;
  for (int i = 0; i < 200000; ++i) opens += "=?";
  for (int i = 0; i < 100000; ++i) unclosed += "=?a?Q?xx";
  EXPECT_EQ(DecodeHeaderValue(opens), opens);
  EXPECT_EQ(DecodeHeaderValue(unclosed), unclosed);
}

TEST(MimeParams, Rfc2231ContinuationsWithCharset) {
  MimeHeaderValue v = ParseMimeHeaderValue(
      "attachment;\r\n filename*0*=UTF-8''%E5%A0%B1%E5%91%8A%E6%9B%B8_20;\r\n filename*1*=26%E5%B9%B4%E5%BA%A6.xlsx");
  EXPECT_EQ(v.value, "attachment");
  EXPECT_EQ(v.Param("filename"), "報告書_2026年度.xlsx");
}

TEST(MimeParams, Rfc2231MixedEncodedAndPlainSegments) {
  MimeHeaderValue v = ParseMimeHeaderValue("attachment; filename*0*=utf-8'ja'%E3%81%82; filename*1=\".txt\"");
  EXPECT_EQ(v.Param("filename"), "あ.txt");
}

TEST(MimeParams, ExtendedValueWinsOverPlain) {
  MimeHeaderValue v = ParseMimeHeaderValue("attachment; filename=\"fallback.txt\"; filename*=UTF-8''%C3%A9.txt");
  EXPECT_EQ(v.Param("filename"), "é.txt");
}

TEST(MimeParams, QuotedEncodedWordAndRawShiftJisWithBackslashTrailByte) {
  EXPECT_EQ(ParseMimeHeaderValue("application/pdf; name=\"=?ISO-2022-JP?B?GyRCOCtAUT1xGyhCLnBkZg==?=\"").Param("name"),
            "見積書.pdf");
  // "表示.txt" in Shift_JIS: 表 is 95 5C, a trail byte that looks like a backslash.
  EXPECT_EQ(ParseMimeHeaderValue("text/plain; name=\"\x95\x5c\x8e\xa6.txt\"").Param("name"), "表示.txt");
}

TEST(MimeParams, TypeLowercasedAndCommentsSkipped) {
  MimeHeaderValue v = ParseMimeHeaderValue("Multipart/Mixed (comment); BOUNDARY=\"a;b\" (c)");
  EXPECT_EQ(v.value, "multipart/mixed");
  EXPECT_EQ(v.Param("boundary"), "a;b");
}

TEST(AddressList, QuotedNamesWithCommasAndGroups) {
  EXPECT_EQ(ParseAddressList("\"Yamada, Taro\" <taro@example.jp>, plain@example.com,"
                             " team: a@x.jp, \"B (b)\" <b@x.jp>;, (old) c@x.jp (Carol)"),
            (std::vector<std::string>{"Yamada, Taro <taro@example.jp>", "plain@example.com", "a@x.jp",
                                      "B (b) <b@x.jp>", "Carol <c@x.jp>"}));
}

TEST(AddressList, EncodedDisplayNames) {
  EXPECT_EQ(ParseAddressList("=?ISO-2022-JP?B?GyRCMnE1RCROJCpDTiRpJDsbKEI=?= <info@example.jp>, "
                             "\"=?UTF-8?Q?caf=C3=A9?=\" <c@x>"),
            (std::vector<std::string>{"会議のお知らせ <info@example.jp>", "café <c@x>"}));
}

TEST(AddressList, EmptyGroupAndAngleOnly) {
  EXPECT_EQ(ParseAddressList("undisclosed-recipients:;"), std::vector<std::string>{});
  EXPECT_EQ(ParseAddressList("<only@x.jp>"), std::vector<std::string>{"only@x.jp"});
}

TEST(AddressList, AddrSpecOf) {
  EXPECT_EQ(AddrSpecOf("Name <A@B.c>"), "A@B.c");
  EXPECT_EQ(AddrSpecOf("  a@b  "), "a@b");
}

}  // namespace
}  // namespace mailtee::archive
