// File-system helpers shared by the archive store/spool tests: they inspect
// what the code under test left on disk, so each test file need not carry its
// own copy (they used to, identical).
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace mailtee::archive::testing {

// The whole content of path, byte-exact ("" if it cannot be opened).
inline std::string ReadWholeFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Regular files anywhere under root whose extension is ext (every regular file
// if ext is empty), sorted so tests see a stable order; none if root is missing.
inline std::vector<std::filesystem::path> FilesUnder(const std::filesystem::path& root,
                                                     const std::string& ext) {
  std::vector<std::filesystem::path> out;
  if (!std::filesystem::exists(root)) return out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root))
    if (e.is_regular_file() && (ext.empty() || e.path().extension() == ext)) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

// The names (not paths) of every entry directly in dir.
inline std::set<std::string> EntryNames(const std::filesystem::path& dir) {
  std::set<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

// The permission bits (e.g. 0600) of path; a failed stat is a test failure.
inline unsigned PermissionBits(const std::filesystem::path& path) {
  struct stat st;
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

// The inode number of path (to tell a reused file from a new one); a failed
// stat is a test failure.
inline ino_t InodeOf(const std::filesystem::path& path) {
  struct stat st;
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_ino;
}

// Creates a new, unique directory <gtest temp dir>/<prefix>_XXXXXX and returns
// its path; "" if mkdtemp failed (callers ASSERT on it). The caller removes it.
inline std::string MakeUniqueTempDir(const std::string& prefix) {
  std::string tmpl = ::testing::TempDir() + "/" + prefix + "_XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) return "";
  return tmpl;
}

}  // namespace mailtee::archive::testing
