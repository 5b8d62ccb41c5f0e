// Folder names from untrusted user strings, and message ids.
#include <gtest/gtest.h>

#include <set>

#include "archive/archive_id.h"
#include "archive/user_folder.h"

namespace mailtee::archive {
namespace {

TEST(UserFolderName, Table) {
  struct Case {
    std::string user, folder;
  } cases[] = {
      {"alice@example.com", "alice@example.com"},
      {"Alice@Example.COM", "alice@example.com"},
      {"first.last+tag_x-y@a.b", "first.last+tag_x-y@a.b"},
      {"../etc", "..%2Fetc"},
      {"a/b", "a%2Fb"},
      {"..", "_unknown_"},
      {".", "_unknown_"},
      {"", "_unknown_"},
      {"%", "%25"},
      {"a b\\c", "a%20b%5Cc"},
      {std::string("nul\0x", 5), "nul%00x"},
      {"山田@例え.jp", "%E5%B1%B1%E7%94%B0@%E4%BE%8B%E3%81%88.jp"},
  };
  for (const auto& c : cases) EXPECT_EQ(UserFolderName(c.user), c.folder) << c.user;
}

TEST(UserFolderName, NeverContainsSlashOrEscapes) {
  for (std::string user : {"/", "/etc/passwd", "..\\..", "a/../../b", "\xff\xfe/.."}) {
    std::string folder = UserFolderName(user);
    EXPECT_EQ(folder.find('/'), std::string::npos) << folder;
    EXPECT_NE(folder, "..");
    EXPECT_NE(folder, ".");
  }
}

TEST(UserFolderName, LongNamesAreCutWithAHashSuffix) {
  std::string long_ascii(500, 'a');
  std::string folder = UserFolderName(long_ascii);
  EXPECT_EQ(folder.size(), kMaxUserFolderBytes);
  EXPECT_EQ(folder.substr(0, 150), std::string(150, 'a'));
  EXPECT_EQ(folder[kMaxUserFolderBytes - 17], '~');
  // Two long names sharing the first 200 bytes still get different folders.
  EXPECT_NE(UserFolderName(long_ascii + "b"), UserFolderName(long_ascii + "c"));
  EXPECT_EQ(UserFolderName(long_ascii), UserFolderName(long_ascii));  // stable

  // Never cut inside a %XX escape.
  for (size_t pad = 0; pad < 3; ++pad) {
    std::string japanese = std::string(pad, 'x');
    for (int i = 0; i < 40; ++i) japanese += "日";
    std::string name = UserFolderName(japanese);
    EXPECT_LE(name.size(), kMaxUserFolderBytes);
    std::string head = name.substr(0, name.find('~'));
    for (size_t i = 0; i < head.size(); ++i) {
      if (head[i] == '%') {
        EXPECT_LE(i + 3, head.size()) << name;
      }
    }
  }
  EXPECT_EQ(UserFolderName(std::string(200, 'z')), std::string(200, 'z'));  // exactly the limit: untouched
}

TEST(ArchiveId, FormatAndTime) {
  // 2026-11-24 16:20:24 UTC
  auto t = std::chrono::system_clock::from_time_t(1795537224);
  std::string id = NewArchiveId(t);
  EXPECT_EQ(id.substr(0, 17), "20261124T162024Z-") << id;
  EXPECT_TRUE(LooksLikeArchiveId(id)) << id;
  EXPECT_FALSE(LooksLikeArchiveId("20261124T162024Z-xyz"));
  EXPECT_FALSE(LooksLikeArchiveId("../../etc/passwd"));
}

TEST(ArchiveId, UniqueOverTenThousandCallsAndSortedByTime) {
  auto t = std::chrono::system_clock::from_time_t(1795537224);
  std::set<std::string> ids;
  for (int i = 0; i < 10000; ++i) ids.insert(NewArchiveId(t));
  EXPECT_EQ(ids.size(), 10000u);
  EXPECT_LT(NewArchiveId(t), NewArchiveId(t + std::chrono::seconds(1)));
  EXPECT_LT(NewArchiveId(t + std::chrono::seconds(59)), NewArchiveId(t + std::chrono::hours(24)));
}

}  // namespace
}  // namespace mailtee::archive
