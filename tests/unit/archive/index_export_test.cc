// Export (mbox, zip) round trips and retention rules.
#include "archive/export.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "archive/index_sink.h"
#include "archive/ledger_hash.h"
#include "archive/retention.h"
#include "index_test_util.h"

namespace mailtee::archive {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

void WriteFile(const std::string& path, const std::string& data) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

// Undoes mboxrd: splits at "From " lines, strips one '>' from ">+From " lines,
// drops the separating blank line.
std::vector<std::string> ReadMbox(const std::string& mbox) {
  std::vector<std::string> messages;
  std::istringstream in(mbox);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("From ", 0) == 0) {
      if (!messages.empty()) messages.back().pop_back();  // separator "\n"
      messages.emplace_back();
      continue;
    }
    size_t q = line.find_first_not_of('>');
    if (q != std::string::npos && q > 0 && line.compare(q, 5, "From ") == 0) line.erase(0, 1);
    messages.back() += line + "\n";
  }
  if (!messages.empty()) messages.back().pop_back();
  return messages;
}

class ExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage_ = dir_.path();
    ASSERT_TRUE(IndexingSink::Open(storage_, &sink_).ok());
    Add("20261101T000000Z-000000000001", 1, "Subject: one\r\n\r\nFrom the start\r\n>From quoted\r\n>>From deep\r\nFrom\r\n");
    Add("20261102T000000Z-000000000002", 2, "Subject: two\r\n\r\nno final newline");
    Add("20261103T000000Z-000000000003", 3, std::string(3 << 20, 'x') + "\r\nFrom big\r\n");  // spans chunks
  }
  void Add(const std::string& id, int day, const std::string& eml) {
    Report r = testing::MakeReport(id, "tanaka", day, 9, "s", "tanaka@example.jp", "x@y.jp");
    r.summary.sha256_hex = Sha256Hex(eml);
    char dir[64];
    std::snprintf(dir, sizeof dir, "archive/tanaka/2026/11/%02d/", day);
    WriteFile(storage_ + "/" + dir + id + ".eml", eml);
    WriteFile(storage_ + "/" + dir + id + ".xml", "<report/>");
    ASSERT_TRUE(sink_->IndexCommitted(r, dir + id + ".eml", dir + id + ".xml").ok());
    emls_.insert(emls_.begin(), eml);  // newest first, like the export
  }
  std::string Export(ExportFormat format, bool zip64 = false) {
    std::string out;
    ExportStats stats;
    Status s = ExportSelection(sink_->index(), storage_, {.user = "tanaka"}, format,
                               [&](std::string_view d) { out.append(d); return Status::Ok(); }, &stats, zip64);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(stats.messages, 3u);
    EXPECT_EQ(stats.bytes, out.size());
    return out;
  }
  // Python's zipfile lists and checks (CRC) every member and compares it with the files.
  void CheckZipWithPython(const std::string& zip) {
    const std::string path = storage_ + "/out.zip";
    WriteFile(path, zip);
    const std::string script =
        "import zipfile,sys\n"
        "z=zipfile.ZipFile(sys.argv[1])\n"
        "assert z.testzip() is None\n"
        "names=z.namelist()\n"
        "assert len(names)==6, names\n"
        "for n in names:\n"
        "  assert z.read(n)==open(sys.argv[2]+'/archive/'+n,'rb').read(), n\n"
        "print('zip ok', len(names))\n";
    WriteFile(storage_ + "/check.py", script);
    int rc = std::system(("/usr/bin/python3 " + storage_ + "/check.py " + path + " " + storage_).c_str());
    EXPECT_EQ(rc, 0);
  }

  testing::TempDir dir_;
  std::string storage_;
  std::unique_ptr<IndexingSink> sink_;
  std::vector<std::string> emls_;
};

TEST_F(ExportTest, MboxRoundTripsEveryMessage) {
  std::string mbox = Export(ExportFormat::kMbox);
  EXPECT_NE(mbox.find("\n>From the start\r\n>>From quoted\r\n>>>From deep\r\nFrom\r\n"), std::string::npos);
  EXPECT_EQ(mbox.rfind("From tanaka@example.jp ", 0), 0u);
  std::vector<std::string> back = ReadMbox(mbox);
  ASSERT_EQ(back.size(), 3u);
  EXPECT_EQ(back[0], emls_[0]);
  EXPECT_EQ(back[1], emls_[1] + "\n");  // the missing final newline is added
  EXPECT_EQ(back[2], emls_[2]);
}

TEST_F(ExportTest, ZipIsReadableByPython) { CheckZipWithPython(Export(ExportFormat::kZip)); }

TEST_F(ExportTest, Zip64IsReadableByPython) { CheckZipWithPython(Export(ExportFormat::kZip, true)); }

TEST(Crc32Test, KnownValue) {
  EXPECT_EQ(Crc32(0, "123456789"), 0xCBF43926u);
  EXPECT_EQ(Crc32(Crc32(0, "12345"), "6789"), 0xCBF43926u);
}

IndexRecord Rec(const std::string& user, int64_t time_ms) {
  IndexRecord r;
  r.id = user + std::to_string(time_ms);
  r.user = user;
  r.time_ms = time_ms;
  return r;
}

TEST(RetentionTest, Rules) {
  const int64_t day = 86'400'000, now = 1000 * day;
  RetentionPolicy p{.default_days = 30, .user_days = {{"boss", 3650}, {"temp", 1}}, .legal_hold_users = {"tanaka"}};
  EXPECT_TRUE(IsDueForPurge(p, Rec("sato", now - 31 * day), now));
  EXPECT_FALSE(IsDueForPurge(p, Rec("sato", now - 30 * day), now));  // exactly at the limit: kept
  EXPECT_FALSE(IsDueForPurge(p, Rec("Tanaka", now - 900 * day), now));  // legal hold, any case
  EXPECT_FALSE(IsDueForPurge(p, Rec("BOSS", now - 900 * day), now));
  EXPECT_TRUE(IsDueForPurge(p, Rec("temp", now - 2 * day), now));
  RetentionPolicy forever{.default_days = 0};
  EXPECT_FALSE(IsDueForPurge(forever, Rec("sato", 0), now));
}

TEST(RetentionTest, PlanListsDueMessagesOldestFirst) {
  testing::TempDir dir;
  std::unique_ptr<ArchiveIndex> index;
  ASSERT_TRUE(ArchiveIndex::Open(dir.path() + "/s", {}, &index).ok());
  const int64_t day = 86'400'000, now = 1000 * day;
  for (auto r : {Rec("a", now - 40 * day), Rec("a", now - 50 * day), Rec("a", now), Rec("held", now - 99 * day)})
    ASSERT_TRUE(index->AddRecord(r, false).ok());
  std::vector<IndexRecord> due;
  ASSERT_TRUE(PlanPurge(index.get(), {.default_days = 30, .legal_hold_users = {"held"}}, now, &due).ok());
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].time_ms, now - 50 * day);
  EXPECT_EQ(due[1].time_ms, now - 40 * day);
}

}  // namespace
}  // namespace mailtee::archive
