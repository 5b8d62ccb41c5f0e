#include "archive/index_tokenizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace mailtee::archive {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(IndexTokenizer, AsciiWordsAreLowercasedAndDeduplicated) {
  EXPECT_THAT(TokenizeText("Re: Quarterly REPORT, quarterly-report v2"),
              ElementsAre("re", "quarterly", "report", "v2"));
}

TEST(IndexTokenizer, JapaneseRunsBecomeOverlappingBigrams) {
  EXPECT_THAT(TokenizeText("会議室の予約"), ElementsAre("会議", "議室", "室の", "の予", "予約"));
}

TEST(IndexTokenizer, OneCharacterRunIsKeptAlone) {
  EXPECT_THAT(TokenizeText("件 について"), ElementsAre("件", "につ", "つい", "いて"));
}

TEST(IndexTokenizer, MixedScriptSplitsAtScriptBoundaries) {
  EXPECT_THAT(TokenizeText("【重要】Invoice請求書 No.123"),
              ElementsAre("重要", "invoice", "請求", "求書", "no", "123"));
}

TEST(IndexTokenizer, HalfWidthKatakanaIsCjk) {
  EXPECT_THAT(TokenizeText("ｶｲｷﾞ"), ElementsAre("ｶｲ", "ｲｷ", "ｷﾞ"));
}

TEST(IndexTokenizer, FullWidthAsciiFoldsToAscii) {
  EXPECT_THAT(TokenizeText("ＡＢＣ１２３"), ElementsAre("abc123"));
}

TEST(IndexTokenizer, HangulAndKatakanaLongVowel) {
  EXPECT_THAT(TokenizeText("회의 サーバー"), ElementsAre("회의", "サー", "ーバ", "バー"));
}

TEST(IndexTokenizer, PunctuationOnlyYieldsNothing) { EXPECT_THAT(TokenizeText("、。!? --"), IsEmpty()); }

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
  auto query = TokenizeText("打ち");
  ASSERT_EQ(query.size(), 1u);
  EXPECT_NE(std::find(subject.begin(), subject.end(), query[0]), subject.end());
}

}  // namespace
}  // namespace mailtee::archive
