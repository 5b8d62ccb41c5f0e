// Shared helpers for the approval unit tests: a temp folder and config parsing.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <tinyxml2.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "proxy/approval/approval_config.h"

namespace mailtee::approval::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = ::testing::TempDir() + "/approval_XXXXXX";
    path_ = mkdtemp(tmpl.data()) ? tmpl : "";
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& text, int mode = 0600) const {
    const std::string p = path_ + "/" + name;
    std::ofstream(p, std::ios::binary) << text;
    chmod(p.c_str(), mode);
    return p;
  }

 private:
  std::string path_;
};

// Parses `<approval ...>...</approval>` text; problems go to *problems.
inline ApprovalConfig ParseXml(const std::string& xml, const std::string& base_dir,
                               std::vector<config::Problem>* problems) {
  tinyxml2::XMLDocument doc;
  EXPECT_EQ(doc.Parse(xml.c_str()), tinyxml2::XML_SUCCESS) << xml;
  ApprovalConfig c;
  EXPECT_TRUE(ParseApprovalConfig(doc.RootElement(), base_dir, &c, problems).ok());
  return c;
}

inline std::string AllProblems(const std::vector<config::Problem>& problems) {
  std::string s;
  for (const auto& p : problems) s += p.ToString() + "\n";
  return s;
}

inline bool HasError(const std::vector<config::Problem>& problems, const std::string& fragment) {
  for (const auto& p : problems) {
    if (!p.warning && p.message.find(fragment) != std::string::npos) return true;
  }
  return false;
}

}  // namespace mailtee::approval::testing
