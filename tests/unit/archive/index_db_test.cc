#include "archive/index_db.h"
#include "archive/index_tokenizer.h"

#include <gmock/gmock.h>
#include <leveldb/db.h>
#include <gtest/gtest.h>

#include "archive/index_keys.h"
#include "archive/index_record.h"
#include "archive/index_sink.h"
#include "index_test_util.h"

namespace mailtee::archive {
namespace {

using testing::MakeReport;
using testing::TempDir;

std::vector<std::string> Ids(const ResultPage& page) {
  std::vector<std::string> ids;
  for (const auto& r : page.records) ids.push_back(r.id);
  return ids;
}

class IndexDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(ArchiveIndex::Open(dir_.path() + "/search", {}, &index_).ok());
    // id, user, day, hour, subject, from, to, direction, attachments
    Add(MakeReport("m1", "Tanaka", 1, 9, "会議室の予約", "tanaka@example.jp", "sato@partner.co.jp"));
    Add(MakeReport("m2", "tanaka", 2, 9, "Quarterly report", "tanaka@example.jp", "boss@example.jp", "sent", 2));
    Add(MakeReport("m3", "sato", 3, 9, "Re: 会議の件", "sato@partner.co.jp", "tanaka@example.jp", "received"));
    Add(MakeReport("m4", "tanaka", 4, 9, "Invoice 請求書", "billing@vendor.com", "tanaka@example.jp", "received", 1));
    Add(MakeReport("m5", "tanaka", 5, 9, "quarterly REPORT final", "tanaka@example.jp", "sato@partner.co.jp"));
  }
  void Add(const Report& r) {
    ASSERT_TRUE(index_->Add(r, "archive/x/" + r.id + ".eml", "archive/x/" + r.id + ".xml").ok());
  }
  std::vector<std::string> Find(Query q) {
    ResultPage page;
    Status s = index_->Search(q, &page);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return Ids(page);
  }

  TempDir dir_;
  std::unique_ptr<ArchiveIndex> index_;
};

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST_F(IndexDbTest, EmptyQueryReturnsEverythingNewestFirst) {
  EXPECT_THAT(Find({}), ElementsAre("m5", "m4", "m3", "m2", "m1"));
}

TEST_F(IndexDbTest, UserFilterIsCaseInsensitive) {
  EXPECT_THAT(Find({.user = "TANAKA"}), ElementsAre("m5", "m4", "m2", "m1"));
  EXPECT_THAT(Find({.user = "sato"}), ElementsAre("m3"));
  EXPECT_THAT(Find({.user = "nobody"}), IsEmpty());
}

TEST_F(IndexDbTest, FromMatchesAddressOrDomain) {
  EXPECT_THAT(Find({.from = "Tanaka@Example.JP"}), ElementsAre("m5", "m2", "m1"));
  EXPECT_THAT(Find({.from = "vendor.com"}), ElementsAre("m4"));
  EXPECT_THAT(Find({.from = "@partner.co.jp"}), ElementsAre("m3"));
  EXPECT_THAT(Find({.from = "example"}), IsEmpty());  // domains match whole
}

TEST_F(IndexDbTest, ToMatchesEnvelopeAndHeaderRecipients) {
  EXPECT_THAT(Find({.to = "sato@partner.co.jp"}), ElementsAre("m5", "m1"));
  EXPECT_THAT(Find({.to = "example.jp"}), ElementsAre("m4", "m3", "m2"));
}

TEST_F(IndexDbTest, SubjectWordsAreAndedAndJapaneseBigramsMatch) {
  EXPECT_THAT(Find({.subject = "report"}), ElementsAre("m5", "m2"));
  EXPECT_THAT(Find({.subject = "quarterly final"}), ElementsAre("m5"));
  EXPECT_THAT(Find({.subject = "会議"}), ElementsAre("m3", "m1"));
  EXPECT_THAT(Find({.subject = "予約"}), ElementsAre("m1"));
  EXPECT_THAT(Find({.subject = "請求書"}), ElementsAre("m4"));
  EXPECT_THAT(Find({.subject = "会議 予約"}), ElementsAre("m1"));
  EXPECT_THAT(Find({.subject = "missing"}), IsEmpty());
}

// "日本日" has the bigrams 日本 and 本日, both in "本日は日本の会議" but apart:
// the record's subject confirms a 3+ character run.
TEST_F(IndexDbTest, LongJapaneseRunMustAppearWholeNotJustItsBigrams) {
  Add(MakeReport("m6", "sato", 6, 9, "本日は日本の会議", "sato@partner.co.jp", "tanaka@example.jp"));
  Add(MakeReport("m7", "sato", 7, 9, "日本日程の調整", "sato@partner.co.jp", "tanaka@example.jp"));
  EXPECT_THAT(Find({.subject = "日本日"}), ElementsAre("m7"));
  EXPECT_THAT(Find({.subject = "会議室"}), ElementsAre("m1"));
  EXPECT_THAT(Find({.subject = "会議室予約"}), IsEmpty());           // 会議室 and 予約 are apart in m1
  EXPECT_THAT(Find({.subject = "会議室 予約"}), ElementsAre("m1"));  // as two words: both present
  EXPECT_THAT(Find({.subject = "本日"}), ElementsAre("m7", "m6"));  // 日本日程 holds 本日 too: 2 chars are not confirmed
}

// One kanji (or kana) finds every subject that holds it, not only one-character
// runs; digits and a kanji written together must stay together (issue 14 item 13).
TEST_F(IndexDbTest, OneKanjiAndDigitsWithAKanjiFindSubstrings) {
  Add(MakeReport("m6", "sato", 6, 9, "案件の確認", "sato@partner.co.jp", "tanaka@example.jp"));
  Add(MakeReport("m7", "sato", 7, 9, "12月の請求書", "billing@vendor.com", "tanaka@example.jp"));
  Add(MakeReport("m8", "sato", 8, 9, "月曜の打合せ 12名", "sato@partner.co.jp", "tanaka@example.jp"));
  EXPECT_THAT(Find({.subject = "件"}), ElementsAre("m6", "m3"));  // 案件の確認, Re: 会議の件
  EXPECT_THAT(Find({.subject = "月"}), ElementsAre("m8", "m7"));
  EXPECT_THAT(Find({.subject = "12月"}), ElementsAre("m7"));     // m8 holds 12 and 月, apart
  EXPECT_THAT(Find({.subject = "１２月"}), ElementsAre("m7"));   // full-width digits fold
  EXPECT_THAT(Find({.subject = "の"}), ElementsAre("m8", "m7", "m6", "m3", "m1"));
  EXPECT_THAT(Find({.subject = "書"}), ElementsAre("m7", "m4"));
  EXPECT_THAT(Find({.subject = "確"}), ElementsAre("m6"));
  EXPECT_THAT(Find({.subject = "議室の予"}), ElementsAre("m1"));
}

// A subject of symbols only has no posting list: it used to fall back to
// "every message". It is refused with a reason instead.
TEST_F(IndexDbTest, SubjectWithNothingIndexableIsAnErrorNotEverything) {
  for (const char* subject : {"①", "！", "-", "①！"}) {
    Query q{.subject = subject};
    EXPECT_FALSE(ValidateQuery(q).ok()) << subject;
    ResultPage page;
    Status s = index_->Search(q, &page);
    ASSERT_FALSE(s.ok()) << subject;
    EXPECT_NE(s.message().find("nothing to search for"), std::string::npos) << s.message();
    EXPECT_THAT(page.records, IsEmpty());
  }
  EXPECT_TRUE(ValidateQuery({.subject = "① 至急"}).ok());
  EXPECT_TRUE(ValidateQuery({.subject = "  "}).ok());  // blank = no subject filter
}

// Format 1 indexes (bigrams only) carry no tokenizer stamp: they are told
// apart from a new empty index, which is stamped when it opens.
TEST(IndexTokenizerVersion, AnIndexWithMessagesAndNoStampIsOutdatedANewOneIsNot) {
  TempDir dir;
  std::unique_ptr<ArchiveIndex> index;
  ASSERT_TRUE(ArchiveIndex::Open(dir.path() + "/search", {}, &index).ok());
  EXPECT_FALSE(index->tokenizer_outdated());
  ASSERT_TRUE(index->Add(MakeReport("m1", "sato", 1, 9, "案件", "a@b.jp", "c@d.jp"), "a.eml", "a.xml").ok());
  index.reset();
  ASSERT_TRUE(ArchiveIndex::Open(dir.path() + "/search", {}, &index).ok());
  EXPECT_FALSE(index->tokenizer_outdated());
  index.reset();
  {  // what an index written before the stamp existed looks like
    leveldb::DB* db = nullptr;
    leveldb::Options o;
    ASSERT_TRUE(leveldb::DB::Open(o, dir.path() + "/search", &db).ok());
    ASSERT_TRUE(db->Delete(leveldb::WriteOptions(), std::string(index_keys::kTokenizerVersionKey)).ok());
    delete db;
  }
  ASSERT_TRUE(ArchiveIndex::Open(dir.path() + "/search", {}, &index).ok());
  EXPECT_TRUE(index->tokenizer_outdated());
  index.reset();
  ASSERT_TRUE(ArchiveIndex::Open(dir.path() + "/search", {}, &index).ok());
  EXPECT_TRUE(index->tokenizer_outdated()) << "opening must not stamp an index that holds old messages";
}

// The daemon logs CatchUp's warnings at start: an outdated index is named there.
TEST(IndexTokenizerVersion, CatchUpWarnsAboutAnOutdatedIndex) {
  TempDir storage;
  std::unique_ptr<IndexingSink> sink;
  ASSERT_TRUE(IndexingSink::Open(storage.path(), &sink).ok());
  ASSERT_TRUE(sink->index()->Add(MakeReport("m1", "sato", 1, 9, "案件", "a@b.jp", "c@d.jp"), "a.eml", "a.xml").ok());
  IndexingSink::CatchUpStats stats;
  ASSERT_TRUE(sink->CatchUp(&stats).ok());
  EXPECT_THAT(stats.warnings, IsEmpty());
  sink.reset();
  {
    leveldb::DB* db = nullptr;
    ASSERT_TRUE(leveldb::DB::Open(leveldb::Options(), SearchIndexDir(storage.path()), &db).ok());
    ASSERT_TRUE(db->Delete(leveldb::WriteOptions(), std::string(index_keys::kTokenizerVersionKey)).ok());
    delete db;
  }
  ASSERT_TRUE(IndexingSink::Open(storage.path(), &sink).ok());
  ASSERT_TRUE(sink->CatchUp(&stats).ok());
  ASSERT_EQ(stats.warnings.size(), 1u);
  EXPECT_NE(stats.warnings[0].find("mailtee archive reindex"), std::string::npos) << stats.warnings[0];
}

TEST_F(IndexDbTest, SinceIsInclusiveUntilExclusive) {
  int64_t day2 = 0, day4 = 0;
  ASSERT_TRUE(ParseIsoTimeMs("2026-11-02T09:00:00+09:00", &day2));
  ASSERT_TRUE(ParseIsoTimeMs("2026-11-04T09:00:00+09:00", &day4));
  EXPECT_THAT(Find({.since_ms = day2, .until_ms = day4}), ElementsAre("m3", "m2"));
  EXPECT_THAT(Find({.user = "tanaka", .since_ms = day2}), ElementsAre("m5", "m4", "m2"));
  EXPECT_THAT(Find({.user = "tanaka", .until_ms = day4}), ElementsAre("m2", "m1"));
}

TEST_F(IndexDbTest, DirectionAndAttachmentFilters) {
  EXPECT_THAT(Find({.direction = "received"}), ElementsAre("m4", "m3"));
  EXPECT_THAT(Find({.has_attachment = true}), ElementsAre("m4", "m2"));
  EXPECT_THAT(Find({.has_attachment = false}), ElementsAre("m5", "m3", "m1"));
  EXPECT_THAT(Find({.user = "tanaka", .direction = "sent", .has_attachment = true}), ElementsAre("m2"));
}

TEST_F(IndexDbTest, CombinedFilters) {
  EXPECT_THAT(Find({.user = "tanaka", .from = "tanaka@example.jp", .to = "partner.co.jp", .subject = "report"}),
              ElementsAre("m5"));
  EXPECT_THAT(Find({.user = "sato", .subject = "report"}), IsEmpty());
}

TEST_F(IndexDbTest, ShaAndMessageIdLookups) {
  EXPECT_THAT(Find({.message_id = "m3@example.jp"}), ElementsAre("m3"));
  EXPECT_THAT(Find({.message_id = "<m3@example.jp>"}), ElementsAre("m3"));
  EXPECT_THAT(Find({.sha256_hex = std::string(64, 'c')}), ElementsAre("m2"));  // day 2 -> 'c'
}

TEST_F(IndexDbTest, PagingWalksAllResultsOnceInOrder) {
  std::vector<std::string> all;
  Query q{.limit = 2};
  for (int pages = 0; pages < 10; ++pages) {
    ResultPage page;
    ASSERT_TRUE(index_->Search(q, &page).ok());
    for (auto& id : Ids(page)) all.push_back(id);
    if (page.next_cursor.empty()) break;
    q.cursor = page.next_cursor;
  }
  EXPECT_THAT(all, ElementsAre("m5", "m4", "m3", "m2", "m1"));
}

TEST_F(IndexDbTest, PagingWithFilters) {
  ResultPage page;
  ASSERT_TRUE(index_->Search({.user = "tanaka", .limit = 3}, &page).ok());
  EXPECT_THAT(Ids(page), ElementsAre("m5", "m4", "m2"));
  ASSERT_FALSE(page.next_cursor.empty());
  ResultPage next;
  ASSERT_TRUE(index_->Search({.user = "tanaka", .limit = 3, .cursor = page.next_cursor}, &next).ok());
  EXPECT_THAT(Ids(next), ElementsAre("m1"));
  EXPECT_TRUE(next.next_cursor.empty());
}

TEST_F(IndexDbTest, BadCursorIsAnError) {
  ResultPage page;
  EXPECT_FALSE(index_->Search({.cursor = "zz"}, &page).ok());
}

TEST_F(IndexDbTest, RemoveDropsRecordAndEveryPosting) {
  ASSERT_TRUE(index_->Remove("m1").ok());
  EXPECT_THAT(Find({}), ElementsAre("m5", "m4", "m3", "m2"));
  EXPECT_THAT(Find({.subject = "予約"}), IsEmpty());
  EXPECT_THAT(Find({.to = "sato@partner.co.jp"}), ElementsAre("m5"));
  bool found = true;
  IndexRecord r;
  ASSERT_TRUE(index_->Get("m1", &r, &found).ok());
  EXPECT_FALSE(found);
  EXPECT_TRUE(index_->Remove("m1").ok());  // idempotent
}

TEST_F(IndexDbTest, ReAddingReplacesOldPostings) {
  Report r = MakeReport("m1", "tanaka", 1, 9, "changed subject", "tanaka@example.jp", "x@y.z");
  Add(r);
  EXPECT_THAT(Find({.subject = "予約"}), IsEmpty());
  EXPECT_THAT(Find({.subject = "changed"}), ElementsAre("m1"));
  EXPECT_THAT(Find({}), ElementsAre("m5", "m4", "m3", "m2", "m1"));
}

TEST_F(IndexDbTest, RecordRoundTripsAndSurvivesReopen) {
  IndexRecord before;
  bool found = false;
  ASSERT_TRUE(index_->Get("m2", &before, &found).ok());
  ASSERT_TRUE(found);
  EXPECT_EQ(before.subject, "Quarterly report");
  EXPECT_EQ(before.attachment_count, 2u);
  EXPECT_EQ(before.eml_path, "archive/x/m2.eml");
  index_.reset();
  ASSERT_TRUE(ArchiveIndex::Open(dir_.path() + "/search", {}, &index_).ok());
  IndexRecord after;
  ASSERT_TRUE(index_->Get("m2", &after, &found).ok());
  EXPECT_EQ(before, after);
}

TEST_F(IndexDbTest, SecondOpenIsALockError) {
  std::unique_ptr<ArchiveIndex> second;
  Status s = ArchiveIndex::Open(dir_.path() + "/search", {}, &second);
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(ArchiveIndex::IsLockError(s)) << s.ToString();
}

TEST(IndexRecordTest, IsoTimesParseWithOffsets) {
  int64_t a = 0, b = 0, c = 0;
  ASSERT_TRUE(ParseIsoTimeMs("2026-11-24T16:20:24.123+09:00", &a));
  ASSERT_TRUE(ParseIsoTimeMs("2026-11-24T07:20:24.123Z", &b));
  ASSERT_TRUE(ParseIsoTimeMs("2026-11-24T07:20:24+0000", &c));
  EXPECT_EQ(a, b);
  EXPECT_EQ(c + 123, b);
  EXPECT_FALSE(ParseIsoTimeMs("2026-11-24", &a));
  EXPECT_EQ(MessageTimeMs("garbage", "20261124T072024Z-0123456789ab"), c);
}

TEST(IndexRecordTest, CorruptRecordIsAnErrorNotACrash) {
  IndexRecord r;
  r.id = "x";
  r.subject = "s";
  std::string enc = EncodeRecord(r);
  IndexRecord out;
  EXPECT_TRUE(DecodeRecord(enc, &out).ok());
  EXPECT_EQ(out, r);
  for (size_t n = 0; n < enc.size(); ++n) EXPECT_FALSE(DecodeRecord(enc.substr(0, n), &out).ok());
}

TEST(IndexRecordTest, AddressesNormalize) {
  EXPECT_EQ(NormalizeAddress("\"Tanaka, T\" <Tanaka@Example.JP>"), "tanaka@example.jp");
  EXPECT_EQ(NormalizeAddress(" a@b.c "), "a@b.c");
  EXPECT_EQ(AddressDomain("a@B.c"), "b.c");
}

}  // namespace
}  // namespace mailtee::archive
