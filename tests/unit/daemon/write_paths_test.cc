// check-config reports every path the daemon writes that its user could not
// write, with the config line that chose it: the storage folder, and the
// approval key when it must be created (outside storage: also a warning about
// the systemd unit's ProtectSystem=strict).
#include "proxy/daemon/write_paths.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "tests/unit/config/config_test_util.h"

namespace mailtee::daemon {
namespace {

// A folder others may enter (0755): the daemon's user is "others" here.
class Folder : public config::testing::ScratchDir {
 public:
  Folder() { chmod(path().c_str(), 0755); }
};

// <storage> at line 2, <approval> at line 6.
std::string Config(const std::string& storage, const std::string& approval_attrs) {
  return "<mailtee>\n"
         "  <storage dir=\"" + storage + "\"/>\n"
         "  <listener name=\"submission\" protocol=\"smtp\" address=\"127.0.0.1\" port=\"1587\" tls=\"starttls\">\n"
         "    <upstream host=\"127.0.0.1\" port=\"587\" tls=\"starttls\"/>\n"
         "  </listener>\n"
         "  <approval enabled=\"true\" public-url=\"https://127.0.0.1:8443\" " + approval_attrs + ">\n"
         "    <rule sender=\"*@company.example\" when=\"attachment\" approvers=\"bucho@company.example\"/>\n"
         "    <relay-account sender=\"*\" user=\"relay@company.example\" password=\"x\"/>\n"
         "  </approval>\n"
         "</mailtee>\n";
}

const config::Problem* Find(const std::vector<config::Problem>& problems, const std::string& needle) {
  for (const auto& p : problems) {
    if (p.message.find(needle) != std::string::npos) return &p;
  }
  return nullptr;
}

std::string All(const std::vector<config::Problem>& problems) {
  std::string s;
  for (const auto& p : problems) s += p.ToString() + "\n";
  return s;
}

config::RunAs Daemon() {
  config::RunAs as;
  as.uid = 54321;  // owns nothing in the temp folders
  as.gid = 54321;
  return as;
}

TEST(WritePathsTest, AStorageFolderTheDaemonsUserCannotWriteIsAnErrorAtItsLine) {
  Folder etc;
  const std::string path = etc.Write("mailtee.xml", Config(etc.path() + "/store", ""));
  FullConfig full = LoadFullConfig(path);
  ASSERT_TRUE(full.ok()) << All(full.loaded.problems);
  std::vector<config::Problem> problems;
  const config::RunAs as = Daemon();
  CheckWritePaths(full, path, &as, &problems);
  const config::Problem* p = Find(problems, "the storage folder " + etc.path() + "/store cannot be written");
  ASSERT_NE(p, nullptr) << All(problems);
  EXPECT_FALSE(p->warning);
  EXPECT_EQ(p->ToString().rfind(path + ":2: error: ", 0), 0u) << p->ToString();
  EXPECT_FALSE(p->hint.empty());
}

TEST(WritePathsTest, TheDefaultKeyIsCheckedInStorageAndAKeyElsewhereTooWithAWarningAboutTheUnit) {
  Folder etc, store;
  chmod(store.path().c_str(), 0777);
  const std::string path = etc.Write("mailtee.xml", Config(store.path(), ""));
  FullConfig full = LoadFullConfig(path);
  ASSERT_TRUE(full.ok()) << All(full.loaded.problems);
  EXPECT_EQ(full.approval.secret_file, store.path() + "/approval.key");
  std::vector<config::Problem> problems;
  const config::RunAs as = Daemon();
  CheckWritePaths(full, path, &as, &problems);
  EXPECT_TRUE(problems.empty()) << All(problems);

  // The old default: a key to be created in the (read-only for the daemon) config folder.
  const std::string keyed = etc.Write("keyed.xml", Config(store.path(), "secret-file=\"approval.key\""));
  full = LoadFullConfig(keyed);
  ASSERT_TRUE(full.ok()) << All(full.loaded.problems);
  problems.clear();
  CheckWritePaths(full, keyed, &as, &problems);
  const config::Problem* p = Find(problems, "the approval key " + etc.path() + "/approval.key does not exist");
  ASSERT_NE(p, nullptr) << All(problems);
  EXPECT_EQ(p->ToString().rfind(keyed + ":6: error: ", 0), 0u) << p->ToString();

  // Writable by the user checking, but outside storage: the unit would stop it.
  problems.clear();
  CheckWritePaths(full, keyed, nullptr, &problems);
  p = Find(problems, "is created outside the storage folder");
  ASSERT_NE(p, nullptr) << All(problems);
  EXPECT_TRUE(p->warning);
  EXPECT_NE(p->hint.find("ProtectSystem=strict"), std::string::npos);
}

}  // namespace
}  // namespace mailtee::daemon
