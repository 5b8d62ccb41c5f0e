#include "archive/index_tokenizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

namespace mailtee::archive {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(IndexTokenizer, AsciiWordsAreLowercasedAndDeduplicated) {
  EXPECT_THAT(TokenizeText("Re: Quarterly REPORT, quarterly-report v2"),
              ElementsAre("re", "quarterly", "report", "v2"));
}

// Every character and every overlapping pair: any substring of a Japanese
// subject has its index tokens (issue 14 item 13).
TEST(IndexTokenizer, JapaneseRunsBecomeUnigramsAndOverlappingBigrams) {
  EXPECT_THAT(TokenizeText("会議室の予約"),
              ElementsAre("会", "会議", "議", "議室", "室", "室の", "の", "の予", "予", "予約", "約"));
}

TEST(IndexTokenizer, OneCharacterRunIsKeptAlone) {
  EXPECT_THAT(TokenizeText("件 について"), ElementsAre("件", "に", "につ", "つ", "つい", "い", "いて", "て"));
}

TEST(IndexTokenizer, QueryLooksUpAUnigramOnlyForAOneCharacterRun) {
  EXPECT_THAT(TokenizeQuery("件"), ElementsAre("件"));
  EXPECT_THAT(TokenizeQuery("12月"), ElementsAre("12", "月"));
  EXPECT_THAT(TokenizeQuery("会議室の予約"), ElementsAre("会議", "議室", "室の", "の予", "予約"));
  EXPECT_THAT(TokenizeQuery("Re: 件 report"), ElementsAre("re", "件", "report"));
}

TEST(IndexTokenizer, QueryOfSymbolsOnlyHasNoToken) {
  for (const char* q : {"①", "！", "-", "①！ -", "、。", "　"}) EXPECT_THAT(TokenizeQuery(q), IsEmpty()) << q;
}

TEST(IndexTokenizer, PhrasesToConfirmAreSegmentsWhoseTokensCouldSitApart) {
  EXPECT_EQ(PhrasesToConfirm("ｱｲｳ abc 会議 会議室の予約 12月 月 Ｖ２請求"),
            (std::vector<std::string>{"ｱｲｳ", "会議室の予約", "12月", "v2請求"}));
  EXPECT_THAT(PhrasesToConfirm("件 report 会議"), IsEmpty());
}

TEST(IndexTokenizer, MixedScriptSplitsAtScriptBoundaries) {
  EXPECT_THAT(TokenizeText("【重要】Invoice請求書 No.123"),
              ElementsAre("重", "重要", "要", "invoice", "請", "請求", "求", "求書", "書", "no", "123"));
}

TEST(IndexTokenizer, HalfWidthKatakanaIsCjk) {
  EXPECT_THAT(TokenizeQuery("ｶｲｷﾞ"), ElementsAre("ｶｲ", "ｲｷ", "ｷﾞ"));
}

TEST(IndexTokenizer, FullWidthAsciiFoldsToAscii) {
  EXPECT_THAT(TokenizeText("ＡＢＣ１２３"), ElementsAre("abc123"));
}

TEST(IndexTokenizer, HangulAndKatakanaLongVowel) {
  EXPECT_THAT(TokenizeQuery("회의 サーバー"), ElementsAre("회의", "サー", "ーバ", "バー"));
}

TEST(IndexTokenizer, PunctuationOnlyYieldsNothing) { EXPECT_THAT(TokenizeText("、。!? --①"), IsEmpty()); }

TEST(IndexTokenizer, InvalidUtf8DoesNotCrashAndSplits) {
  EXPECT_THAT(TokenizeText(std::string("ab\xff" "cd\xe3\x81")), ElementsAre("ab", "cd"));
}

TEST(IndexTokenizer, LongWordsAreCut) {
  auto tokens = TokenizeText(std::string(100, 'x'));
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens[0].size(), kMaxTokenBytes);
}

TEST(IndexTokenizer, QueryOfATwoCharacterWordIsOneBigramOfTheSubject) {
  auto subject = TokenizeText("明日の打ち合わせについて");
  auto query = TokenizeQuery("打ち");
  ASSERT_EQ(query.size(), 1u);
  EXPECT_NE(std::find(subject.begin(), subject.end(), query[0]), subject.end());
}

}  // namespace
}  // namespace mailtee::archive
