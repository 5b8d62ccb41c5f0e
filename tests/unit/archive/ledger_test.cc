#include "archive/ledger.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "archive/ledger_hash.h"
#include "index_test_util.h"

namespace mailtee::archive {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

void WriteLines(const std::string& path, const std::vector<std::string>& lines) {
  std::ofstream out(path, std::ios::trunc);
  for (const auto& l : lines) out << l << "\n";
}

class LedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.path() + "/ledger.log";
    std::unique_ptr<Ledger> ledger;
    ASSERT_TRUE(Ledger::Open(path_, &ledger).ok());
    for (int i = 1; i <= 4; ++i) {
      LedgerEntry e{.action = kLedgerActionArchive, .id = "id" + std::to_string(i),
                    .eml_path = "archive/u/id" + std::to_string(i) + ".eml",
                    .report_path = "archive/u/id" + std::to_string(i) + ".xml",
                    .message_sha256 = Sha256Hex("m" + std::to_string(i)),
                    .report_sha256 = Sha256Hex("r" + std::to_string(i))};
      ASSERT_TRUE(ledger->Append(&e).ok());
      EXPECT_EQ(e.seq, static_cast<uint64_t>(i));
    }
    head_ = ledger->Head();
  }
  LedgerScan Scan(std::vector<LedgerEntry>* entries = nullptr) {
    LedgerScan scan;
    Status s = ScanLedger(path_, [&](const LedgerEntry& e) { if (entries) entries->push_back(e); }, &scan);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return scan;
  }

  testing::TempDir dir_;
  std::string path_, head_;
};

TEST_F(LedgerTest, IntactChainVerifies) {
  std::vector<LedgerEntry> entries;
  LedgerScan scan = Scan(&entries);
  EXPECT_THAT(scan.problems, IsEmpty());
  EXPECT_EQ(scan.entries, 4u);
  EXPECT_EQ(scan.head, head_);
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[2].id, "id3");
  EXPECT_EQ(entries[2].message_sha256, Sha256Hex("m3"));
  EXPECT_EQ(entries[0].prev_hash, kLedgerGenesisHash);
  EXPECT_EQ(entries[1].prev_hash, entries[0].entry_hash);
}

TEST_F(LedgerTest, ReopenContinuesTheChain) {
  std::unique_ptr<Ledger> ledger;
  ASSERT_TRUE(Ledger::Open(path_, &ledger).ok());
  EXPECT_EQ(ledger->Head(), head_);
  LedgerEntry e{.action = kLedgerActionPurge, .id = "id1"};
  ASSERT_TRUE(ledger->Append(&e).ok());
  EXPECT_EQ(e.seq, 5u);
  LedgerScan scan = Scan();
  EXPECT_THAT(scan.problems, IsEmpty());
  EXPECT_EQ(scan.entries, 5u);
}

TEST_F(LedgerTest, EditedLineIsDetected) {
  auto lines = ReadLines(path_);
  // Replace the message hash of entry #2 with the hash of other bytes.
  size_t pos = lines[1].find(Sha256Hex("m2"));
  ASSERT_NE(pos, std::string::npos);
  lines[1].replace(pos, 64, Sha256Hex("forged"));
  WriteLines(path_, lines);
  LedgerScan scan = Scan();
  ASSERT_EQ(scan.problems.size(), 1u);
  EXPECT_THAT(scan.problems[0], HasSubstr("line 2: entry #2 (archive id2): its hash does not match"));
}

TEST_F(LedgerTest, EditedLineWithRecomputedHashBreaksTheNextLink) {
  auto lines = ReadLines(path_);
  std::vector<LedgerEntry> entries;
  Scan(&entries);
  entries[1].message_sha256 = Sha256Hex("forged");
  std::string part = LedgerHashedPart(entries[1]);
  lines[1] = part + Sha256Hex(part);
  WriteLines(path_, lines);
  LedgerScan scan = Scan();
  ASSERT_EQ(scan.problems.size(), 1u);
  EXPECT_THAT(scan.problems[0], HasSubstr("entry #3 (archive id3): does not chain"));
}

TEST_F(LedgerTest, DeletedLineIsDetected) {
  auto lines = ReadLines(path_);
  lines.erase(lines.begin() + 1);
  WriteLines(path_, lines);
  LedgerScan scan = Scan();
  ASSERT_EQ(scan.problems.size(), 2u);
  EXPECT_THAT(scan.problems[0], HasSubstr("sequence number 3 where #2 was expected"));
  EXPECT_THAT(scan.problems[1], HasSubstr("does not chain"));
}

TEST_F(LedgerTest, ReorderedLinesAreDetected) {
  auto lines = ReadLines(path_);
  std::swap(lines[1], lines[2]);
  WriteLines(path_, lines);
  LedgerScan scan = Scan();
  EXPECT_GE(scan.problems.size(), 2u);
  EXPECT_THAT(scan.problems[0], HasSubstr("line 2: entry #3"));
}

TEST_F(LedgerTest, TruncationAtTheEndChangesTheHead) {
  auto lines = ReadLines(path_);
  lines.pop_back();
  WriteLines(path_, lines);
  LedgerScan scan = Scan();
  EXPECT_THAT(scan.problems, IsEmpty());  // the chain itself is intact...
  EXPECT_NE(scan.head, head_);            // ...which is why the index keeps the head
}

TEST_F(LedgerTest, TornLastLineIsReportedAndCutOnOpen) {
  {
    std::ofstream out(path_, std::ios::app);
    out << "5\t2026-";
  }
  EXPECT_THAT(Scan().problems, ::testing::ElementsAre(HasSubstr("line 5: incomplete last line")));
  std::unique_ptr<Ledger> ledger;
  bool recovered = false;
  ASSERT_TRUE(Ledger::Open(path_, &ledger, &recovered).ok());
  EXPECT_TRUE(recovered);
  EXPECT_EQ(ledger->Head(), head_);
  LedgerEntry e{.action = kLedgerActionArchive, .id = "id5"};
  ASSERT_TRUE(ledger->Append(&e).ok());
  EXPECT_THAT(Scan().problems, IsEmpty());
}

TEST_F(LedgerTest, SecondWriterIsRefused) {
  std::unique_ptr<Ledger> a, b;
  ASSERT_TRUE(Ledger::Open(path_, &a).ok());
  EXPECT_FALSE(Ledger::Open(path_, &b).ok());
}

TEST_F(LedgerTest, FieldsWithTabsAreRejected) {
  std::unique_ptr<Ledger> ledger;
  ASSERT_TRUE(Ledger::Open(path_, &ledger).ok());
  LedgerEntry e{.action = kLedgerActionArchive, .id = "a\tb"};
  EXPECT_FALSE(ledger->Append(&e).ok());
  EXPECT_THAT(Scan().problems, IsEmpty());
}

TEST(LedgerScanTest, MissingFileIsAnEmptyLedger) {
  LedgerScan scan;
  ASSERT_TRUE(ScanLedger("/nonexistent/ledger.log", [](const LedgerEntry&) {}, &scan).ok());
  EXPECT_EQ(scan.entries, 0u);
}

}  // namespace
}  // namespace mailtee::archive
