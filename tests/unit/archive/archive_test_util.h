// File-system helpers shared by the archive store/spool tests: they inspect
// what the code under test left on disk, so each test file need not carry its
// own copy (they used to, identical).
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "archive/message_sink.h"
#include "archive/report.h"

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

// The one report (*.xml) under archive_root, parsed; a test failure (and an
// empty Report) when there is not exactly one or it does not parse.
inline Report OnlyReportUnder(const std::filesystem::path& archive_root) {
  auto xmls = FilesUnder(archive_root, ".xml");
  EXPECT_EQ(xmls.size(), 1u);
  Report r;
  if (xmls.size() == 1) {
    EXPECT_TRUE(ParseReportXml(ReadWholeFile(xmls[0]), &r).ok());
  }
  return r;
}

// alice's message at the tests' fixed instant: sent over SMTP to bob, or
// fetched over POP3 (the crash and recovery tests' message).
inline MessageContext AliceContext(Direction direction = Direction::kSent) {
  MessageContext c;
  c.direction = direction;
  c.protocol = direction == Direction::kSent ? "smtp" : "pop3";
  c.listener = "l1";
  c.user = "alice";
  c.client_ip = "127.0.0.1";
  c.received_at = std::chrono::system_clock::from_time_t(1795537224);
  c.envelope_from = "alice@example.com";
  c.envelope_to = {"bob@example.net"};
  return c;
}

// A POP3 fetch by bob from ip, seconds_later than the tests' fixed instant.
inline MessageContext ReceivedContext(const std::string& ip, int seconds_later) {
  MessageContext c;
  c.direction = Direction::kReceived;
  c.protocol = "pop3";
  c.listener = "pop3s";
  c.user = "bob";
  c.client_ip = ip;
  c.received_at = std::chrono::system_clock::from_time_t(1795537224 + seconds_later);
  c.uidl = "UID-1";
  return c;
}

}  // namespace mailtee::archive::testing
