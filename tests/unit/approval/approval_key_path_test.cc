// Where the approval key lives without secret-file: in <storage>, the one
// folder the daemon may write; an old key in the config folder stays in use
// (with a warning) so the approval links already mailed keep working.
#include "proxy/approval/approval_key_path.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/unit/approval/approval_test_util.h"

namespace mailtee::approval {
namespace {

using testing::AllProblems;
using testing::ParseXml;
using testing::TempDir;

struct Folders {
  TempDir etc, storage;
  std::string config_path() const { return etc.path() + "/mailtee.xml"; }
};

ApprovalConfig Enabled(const std::string& attrs = "") {
  std::vector<config::Problem> ignored;
  return ParseXml("<approval enabled=\"true\" " + attrs + "/>", "/etc/mailtee", &ignored);
}

TEST(ApprovalKeyPathTest, WithoutSecretFileTheKeyDefaultsToTheStorageFolder) {
  Folders f;
  ApprovalConfig c = Enabled();
  EXPECT_EQ(c.secret_file, "") << "the parser leaves the default to ResolveSecretFile";
  std::vector<config::Problem> problems;
  ResolveSecretFile(f.config_path(), f.storage.path(), &c, &problems);
  EXPECT_EQ(c.secret_file, f.storage.path() + "/approval.key");
  EXPECT_TRUE(problems.empty()) << AllProblems(problems);
}

TEST(ApprovalKeyPathTest, AnOldKeyInTheConfigFolderIsKeptWithAWarning) {
  Folders f;
  const std::string written = f.etc.Write("approval.key", std::string(64, 'a') + "\n");
  const std::string old = std::filesystem::path(written).lexically_normal().string();  // named absolute and clean
  ApprovalConfig c = Enabled();
  c.line = 7;
  std::vector<config::Problem> problems;
  ResolveSecretFile(f.config_path(), f.storage.path(), &c, &problems);
  EXPECT_EQ(c.secret_file, old) << "a new key would void every approval link already sent";
  ASSERT_EQ(problems.size(), 1u) << AllProblems(problems);
  EXPECT_TRUE(problems[0].warning);
  EXPECT_EQ(problems[0].file, f.config_path());
  EXPECT_EQ(problems[0].line, 7);
  EXPECT_NE(problems[0].message.find(old), std::string::npos) << problems[0].message;
  EXPECT_NE(problems[0].hint.find(f.storage.path() + "/approval.key"), std::string::npos) << problems[0].hint;
}

TEST(ApprovalKeyPathTest, AKeyAlreadyInStorageWinsOverTheOldOne) {
  Folders f;
  f.etc.Write("approval.key", std::string(64, 'a') + "\n");
  f.storage.Write("approval.key", std::string(64, 'b') + "\n");
  ApprovalConfig c = Enabled();
  std::vector<config::Problem> problems;
  ResolveSecretFile(f.config_path(), f.storage.path(), &c, &problems);
  EXPECT_EQ(c.secret_file, f.storage.path() + "/approval.key");
  EXPECT_TRUE(problems.empty()) << AllProblems(problems);
}

TEST(ApprovalKeyPathTest, AnExplicitSecretFileStaysWhereItIs) {
  Folders f;
  f.etc.Write("approval.key", std::string(64, 'a') + "\n");
  ApprovalConfig c = Enabled("secret-file=\"/srv/keys/approval.key\"");
  std::vector<config::Problem> problems;
  ResolveSecretFile(f.config_path(), f.storage.path(), &c, &problems);
  EXPECT_EQ(c.secret_file, "/srv/keys/approval.key");
  EXPECT_TRUE(problems.empty()) << AllProblems(problems);
}

}  // namespace
}  // namespace mailtee::approval
