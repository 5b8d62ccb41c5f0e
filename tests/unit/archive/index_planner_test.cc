// The search planner (rarest list first, forward-seek join, since/until
// bounds, paging) against a brute-force filter over the same records.
//
// A few thousand synthetic records with small value spaces (so filters
// overlap and lists differ in size by orders of magnitude), time ties (the id
// breaks them), removals and replacements, and a tiny LevelDB memtable so the
// postings spread over table files and levels as in a real archive (the size
// estimates then come from LevelDB's table sizes, not only from counting).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "archive/index_db.h"
#include "archive/index_keys.h"
#include "archive/index_tokenizer.h"
#include "index_test_util.h"

namespace mailtee::archive {
namespace {

using testing::TempDir;

constexpr int64_t kStartMs = 1767225600000;  // 2026-01-01T00:00:00Z
const char* kWords[] = {"会議", "予約", "請求書", "report", "Invoice", "本日は日本", "日本日程", "final", "見積", "ｒｅｐｏｒｔ"};

std::string Pick(std::mt19937& rng, size_t n, const std::string& stem) { return stem + std::to_string(rng() % n); }

// Skewed: value 0 is common, the rest rare, so list sizes differ a lot.
size_t Skewed(std::mt19937& rng, size_t n) { return rng() % 2 ? 0 : rng() % n; }

std::string Address(std::mt19937& rng) {
  return "p" + std::to_string(rng() % 30) + "@d" + std::to_string(Skewed(rng, 12)) + ".example";
}

IndexRecord Synthetic(size_t i, std::mt19937& rng) {
  IndexRecord r;
  r.id = "id" + std::to_string(100000 + rng() % 900000) + "-" + std::to_string(i);
  r.time_ms = kStartMs + static_cast<int64_t>(rng() % 400) * 3'600'000;  // many ties
  r.received_at = FormatUtcTime(r.time_ms);
  r.user = (rng() % 3 ? "user" : "USER") + std::to_string(Skewed(rng, 10));
  r.direction = rng() % 3 ? "sent" : "received";
  r.envelope_from = Address(rng);
  if (rng() % 2) r.from = {"Name <" + Address(rng) + ">"};
  for (size_t n = rng() % 3; n > 0; --n) r.envelope_to.push_back(Address(rng));
  for (size_t n = rng() % 2; n > 0; --n) r.to.push_back(Address(rng));
  for (size_t n = rng() % 2; n > 0; --n) r.cc.push_back("Cc <" + Address(rng) + ">");
  r.subject = std::string(kWords[Skewed(rng, 10)]) + " " + kWords[rng() % 10] + (rng() % 2 ? "の件" : " no.") +
              std::to_string(rng() % 50);
  r.message_id = "<" + Pick(rng, 2000, "mid") + "@x>";
  r.sha256_hex = std::string(60, 'a') + std::to_string(1000 + rng() % 3000);
  r.attachment_count = rng() % 4 == 0 ? 1 + rng() % 2 : 0;
  r.outcome = "relayed";
  return r;
}

bool AnyAddress(const std::vector<const std::string*>& mailboxes, const std::string& filter) {
  size_t at = filter.find('@');
  for (const std::string* m : mailboxes) {
    const std::string addr = NormalizeAddress(*m);
    if (addr.empty()) continue;
    if (at == std::string::npos || at == 0) {
      std::string domain = filter.substr(filter.find_first_not_of('@') == std::string::npos ? filter.size()
                                                                                          : filter.find_first_not_of('@'));
      if (AddressDomain(addr) == index_keys::Lower(domain)) return true;
    } else if (addr == NormalizeAddress(filter)) {
      return true;
    }
  }
  return false;
}

// The query's meaning (index_query.h), written without any index.
bool Matches(const Query& q, const IndexRecord& r) {
  if (!q.user.empty() && index_keys::Lower(q.user) != index_keys::Lower(r.user)) return false;
  if (!q.from.empty()) {
    std::vector<const std::string*> senders{&r.envelope_from};
    for (const auto& a : r.from) senders.push_back(&a);
    if (!AnyAddress(senders, q.from)) return false;
  }
  if (!q.to.empty()) {
    std::vector<const std::string*> recipients;
    for (const auto* list : {&r.envelope_to, &r.to, &r.cc})
      for (const auto& a : *list) recipients.push_back(&a);
    if (!AnyAddress(recipients, q.to)) return false;
  }
  const std::vector<std::string> tokens = TokenizeText(r.subject);
  for (const std::string& t : TokenizeQuery(q.subject))
    if (std::find(tokens.begin(), tokens.end(), t) == tokens.end()) return false;
  for (const std::string& run : PhrasesToConfirm(q.subject))
    if (NormalizeForMatch(r.subject).find(run) == std::string::npos) return false;
  if (!q.sha256_hex.empty() && index_keys::Lower(q.sha256_hex) != index_keys::Lower(r.sha256_hex)) return false;
  if (!q.message_id.empty() &&
      index_keys::NormalizeMessageId(q.message_id) != index_keys::NormalizeMessageId(r.message_id))
    return false;
  if (q.since_ms && r.time_ms < *q.since_ms) return false;
  if (q.until_ms && r.time_ms >= *q.until_ms) return false;
  if (!q.direction.empty() && q.direction != r.direction) return false;
  if (q.has_attachment && (r.attachment_count > 0) != *q.has_attachment) return false;
  return true;
}

Query RandomQuery(std::mt19937& rng, const std::vector<IndexRecord>& records) {
  // Values come from a random record (so filters overlap) or, rarely, match nothing.
  const IndexRecord& r = records[rng() % records.size()];
  Query q;
  auto maybe = [&](int percent) { return static_cast<int>(rng() % 100) < percent; };
  if (maybe(40)) q.user = maybe(95) ? r.user : "nobody";
  if (maybe(30)) {
    std::string a = NormalizeAddress(r.envelope_from);
    q.from = maybe(50) ? a : maybe(50) ? AddressDomain(a) : "@" + AddressDomain(a);
  }
  if (maybe(30) && !r.envelope_to.empty()) {
    std::string a = NormalizeAddress(r.envelope_to[0]);
    q.to = maybe(50) ? index_keys::Lower(a) == a ? "P" + a.substr(1) : a : AddressDomain(a);
  }
  if (maybe(40)) q.subject = maybe(90) ? std::string(kWords[rng() % 10]) : "nosuchword";
  if (maybe(10)) q.subject += std::string(" ") + kWords[rng() % 10];
  if (maybe(10)) q.subject += maybe(50) ? " 件" : " の";  // one-character queries look up unigrams
  if (maybe(3)) q.sha256_hex = r.sha256_hex;
  if (maybe(3)) q.message_id = r.message_id;
  if (maybe(30)) q.since_ms = kStartMs + static_cast<int64_t>(rng() % 420) * 3'600'000;
  if (maybe(30)) q.until_ms = kStartMs + static_cast<int64_t>(rng() % 420) * 3'600'000;
  if (maybe(20)) q.direction = maybe(50) ? "sent" : "received";
  if (maybe(20)) q.has_attachment = maybe(50);
  q.limit = maybe(50) ? 1 + rng() % 7 : 50;
  return q;
}

std::string Describe(const Query& q) {
  std::string d = "user=" + q.user + " from=" + q.from + " to=" + q.to + " subject=" + q.subject +
                  " sha=" + q.sha256_hex + " mid=" + q.message_id + " dir=" + q.direction;
  if (q.since_ms) d += " since=" + std::to_string(*q.since_ms);
  if (q.until_ms) d += " until=" + std::to_string(*q.until_ms);
  if (q.has_attachment) d += std::string(" attach=") + (*q.has_attachment ? "yes" : "no");
  return d + " limit=" + std::to_string(q.limit);
}

// Built once for the suite: the records take a few seconds to index.
class IndexPlannerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    ArchiveIndex::Options options;
    options.write_buffer_bytes = 64 << 10;  // many table files over several levels
    ASSERT_TRUE(ArchiveIndex::Open(dir_->path() + "/search", options, &index_).ok());
    std::mt19937 rng(20261124);
    for (size_t i = 0; i < 4000; ++i) {
      IndexRecord r = Synthetic(i, rng);
      ASSERT_TRUE(index_->AddRecord(r, false).ok());
      records_.push_back(std::move(r));
    }
    // Replace some (old postings must go) and remove some.
    for (size_t i = 0; i < 200; ++i) {
      IndexRecord& r = records_[rng() % records_.size()];
      IndexRecord replacement = Synthetic(i + 100000, rng);
      replacement.id = r.id;
      r = replacement;
      ASSERT_TRUE(index_->AddRecord(r, false).ok());
    }
    for (size_t i = 0; i < 40; ++i) {
      size_t at = rng() % records_.size();
      ASSERT_TRUE(index_->Remove(records_[at].id).ok());
      records_.erase(records_.begin() + at);
    }
    ASSERT_TRUE(index_->Flush().ok());
  }
  static void TearDownTestSuite() {
    index_.reset();
    records_.clear();
    delete dir_;
  }

  static std::vector<std::string> BruteForce(const Query& q) {
    std::vector<const IndexRecord*> hits;
    for (const auto& r : records_)
      if (Matches(q, r)) hits.push_back(&r);
    std::sort(hits.begin(), hits.end(), [](const IndexRecord* a, const IndexRecord* b) {
      return index_keys::SortSuffix(a->time_ms, a->id) < index_keys::SortSuffix(b->time_ms, b->id);
    });
    std::vector<std::string> ids;
    for (const auto* r : hits) ids.push_back(r->id);
    return ids;
  }

  // Every page of the query, concatenated; checks the paging contract on the way.
  std::vector<std::string> AllPages(Query q) {
    std::vector<std::string> ids;
    for (int pages = 0; pages < 5000; ++pages) {
      ResultPage page;
      Status s = index_->Search(q, &page);
      EXPECT_TRUE(s.ok()) << s.ToString();
      EXPECT_LE(page.records.size(), q.limit);
      for (const auto& r : page.records) ids.push_back(r.id);
      if (page.next_cursor.empty()) break;
      EXPECT_EQ(page.records.size(), q.limit) << "a short page must be the last";
      q.cursor = page.next_cursor;
    }
    return ids;
  }

  static TempDir* dir_;
  static std::unique_ptr<ArchiveIndex> index_;
  static std::vector<IndexRecord> records_;
};

TempDir* IndexPlannerTest::dir_ = nullptr;
std::unique_ptr<ArchiveIndex> IndexPlannerTest::index_;
std::vector<IndexRecord> IndexPlannerTest::records_;

TEST_F(IndexPlannerTest, RandomQueriesMatchBruteForce) {
  std::mt19937 rng(7);
  size_t nonempty = 0, multi_list = 0;
  for (int n = 0; n < 400; ++n) {
    const Query q = RandomQuery(rng, records_);
    const std::vector<std::string> expected = BruteForce(q);
    ASSERT_EQ(AllPages(q), expected) << Describe(q);
    nonempty += !expected.empty();
    ResultPage page;
    ASSERT_TRUE(index_->Search(q, &page).ok());
    multi_list += page.plan.find(' ') != std::string::npos;
  }
  EXPECT_GT(nonempty, 200u);  // the test compares results, not mostly empty lists
  EXPECT_GT(multi_list, 100u);
}

TEST_F(IndexPlannerTest, RecordsComeBackWhole) {
  Query q{.user = "user1", .subject = "会議"};
  ResultPage page;
  ASSERT_TRUE(index_->Search(q, &page).ok());
  ASSERT_FALSE(page.records.empty());
  for (const IndexRecord& got : page.records) {
    auto it = std::find_if(records_.begin(), records_.end(), [&](const IndexRecord& r) { return r.id == got.id; });
    ASSERT_NE(it, records_.end());
    EXPECT_EQ(*it, got);
  }
}

// The rarest list drives the join: a rare user's list comes before a common
// word's, whatever order the query names them in, and so does a rare domain.
TEST_F(IndexPlannerTest, RarestListDrives) {
  ResultPage page;
  ASSERT_TRUE(index_->Search({.user = "user0", .to = "d7.example", .subject = "会議"}, &page).ok());
  EXPECT_THAT(page.plan, ::testing::StartsWith("td/d7.example")) << page.plan;
  ASSERT_TRUE(index_->Search({.user = "user0", .subject = "nosuchword"}, &page).ok());
  EXPECT_EQ(page.plan, "w/nosuchword=0");  // an empty list ends the plan: nothing can match
  EXPECT_EQ(page.examined, 0u);
  EXPECT_TRUE(page.records.empty());
  ASSERT_TRUE(index_->Search({.user = "user0"}, &page).ok());
  EXPECT_EQ(page.plan, "u/user0");
}

// Compaction rewrites every table: the same queries give the same pages.
TEST_F(IndexPlannerTest, SameResultsAfterCompaction) {
  std::mt19937 rng(99);
  std::vector<Query> queries;
  std::vector<std::vector<std::string>> before;
  for (int n = 0; n < 60; ++n) {
    queries.push_back(RandomQuery(rng, records_));
    before.push_back(AllPages(queries.back()));
  }
  ASSERT_TRUE(index_->Compact().ok());
  for (size_t n = 0; n < queries.size(); ++n) EXPECT_EQ(AllPages(queries[n]), before[n]) << Describe(queries[n]);
}

// Small lists are counted exactly within the time range.
TEST_F(IndexPlannerTest, SmallListEstimatesAreExactWithinTheRange) {
  const std::string mid = index_keys::NormalizeMessageId(records_[0].message_id);
  Query q{.user = records_[0].user, .message_id = mid};
  size_t with_mid = 0;
  for (const auto& r : records_) with_mid += index_keys::NormalizeMessageId(r.message_id) == mid;
  ResultPage page;
  ASSERT_TRUE(index_->Search(q, &page).ok());
  EXPECT_THAT(page.plan, ::testing::StartsWith("mid/" + mid + "=" + std::to_string(with_mid) + " ")) << page.plan;
  q.since_ms = records_[0].time_ms + 1;  // records_[0] and what is older fall out of the range
  size_t newer = 0;
  for (const auto& r : records_) newer += index_keys::NormalizeMessageId(r.message_id) == mid && r.time_ms > records_[0].time_ms;
  ASSERT_TRUE(index_->Search(q, &page).ok());
  EXPECT_THAT(page.plan, ::testing::StartsWith("mid/" + mid + "=" + std::to_string(newer) + " ")) << page.plan;
}

}  // namespace
}  // namespace mailtee::archive
