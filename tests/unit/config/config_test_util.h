// Helpers for config tests: a scratch folder for the files a config names, and
// lookups of problems by text so each test states the exact line it expects.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/loader.h"

namespace mailtee::config::testing {

// The source tree (tests/CMakeLists.txt passes it in). Not derived from
// __FILE__: ccache's base_dir makes that relative to the build folder.
inline std::string RepoRoot() { return MAILTEE_SOURCE_DIR; }

// One valid SMTP listener and the closing tag: append to "<mailtee>" plus the
// element under test.
constexpr const char* kListener = R"(
  <listener name="s" protocol="smtp" port="1587" tls="starttls">
    <upstream host="smtp.example.net" port="587"/>
  </listener>
</mailtee>)";

class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "mailtee-config-test-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~ScratchDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

  // Writes `content` to path()/name with permission bits `mode`; returns the full path.
  std::string Write(const std::string& name, const std::string& content, mode_t mode = 0600) const {
    const std::string full = path_ + "/" + name;
    std::filesystem::create_directories(std::filesystem::path(full).parent_path());
    std::ofstream(full, std::ios::binary) << content;
    chmod(full.c_str(), mode);
    return full;
  }

 private:
  std::string path_;
};

inline LoadResult Load(const std::string& xml, const ScratchDir& dir) {
  return LoadString(xml, "test.xml", dir.path());
}

// The first problem whose message contains `needle`, or null.
inline const Problem* FindProblem(const LoadResult& r, const std::string& needle) {
  for (const Problem& p : r.problems) {
    if (p.message.find(needle) != std::string::npos) return &p;
  }
  return nullptr;
}

inline std::string AllProblems(const LoadResult& r) {
  std::string s;
  for (const Problem& p : r.problems) s += p.ToString() + "\n";
  return s;
}

// Asserts one problem mentioning `needle` at `line`, of the given severity, with a hint.
inline void ExpectProblem(const LoadResult& r, const std::string& needle, int line, bool warning) {
  const Problem* p = FindProblem(r, needle);
  ASSERT_NE(p, nullptr) << "no problem mentions '" << needle << "'; got:\n" << AllProblems(r);
  EXPECT_EQ(p->file, "test.xml");
  EXPECT_EQ(p->line, line) << p->ToString();
  EXPECT_EQ(p->warning, warning) << p->ToString();
  EXPECT_FALSE(p->hint.empty()) << p->ToString();
}

}  // namespace mailtee::config::testing
