// docs/config.md claims to list every element and attribute mailtee accepts.
// It once missed <admin>, <retention> and <legal-hold> for several releases:
// this test reads the schema the loader checks against, so the page cannot
// drift from the code again.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/schema.h"
#include "tests/unit/config/config_test_util.h"

namespace mailtee::config {
namespace {

std::string ReadDoc(const std::string& name) {
  std::ifstream in(std::filesystem::path(testing::RepoRoot()) / "docs" / name);
  EXPECT_TRUE(in.good()) << name;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// <approval> and its children are documented in docs/approval.md (its own
// page, with examples); docs/config.md introduces them and links there.
bool DocumentedInApprovalPage(const std::string& element) {
  return element == "approval" || element == "internal" || element == "rule" || element == "relay-account";
}

TEST(ConfigDocsTest, EveryElementTheLoaderAcceptsIsInConfigMd) {
  const std::string config_md = ReadDoc("config.md");
  ASSERT_FALSE(AllElements().empty());
  for (const ElementSchema& e : AllElements()) {
    EXPECT_NE(config_md.find("<" + std::string(e.name)), std::string::npos)
        << "docs/config.md does not mention <" << e.name << ">";
  }
}

TEST(ConfigDocsTest, EveryAttributeIsInConfigMd) {
  const std::string config_md = ReadDoc("config.md");
  for (const ElementSchema& e : AllElements()) {
    if (DocumentedInApprovalPage(e.name)) continue;
    for (const char* attribute : e.attributes) {
      EXPECT_NE(config_md.find("`" + std::string(attribute) + "`"), std::string::npos)
          << "<" << e.name << " " << attribute << "> is not documented (as `" << attribute << "`) in docs/config.md";
    }
  }
}

}  // namespace
}  // namespace mailtee::config
