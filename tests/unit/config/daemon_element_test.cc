// <daemon user= group=>: the account `mailtee run` becomes when started as
// root (issue 13 item 18). Default "mailtee"; root is never accepted.
#include "config/loader.h"
#include "tests/unit/config/config_test_util.h"

namespace mailtee::config {
namespace {

using testing::AllProblems;
using testing::ExpectProblem;
using testing::Load;
using testing::ScratchDir;

using testing::kListener;

TEST(DaemonElement, DefaultsToTheMailteeUser) {
  ScratchDir dir;
  LoadResult r = Load(std::string("<mailtee>") + kListener, dir);
  ASSERT_TRUE(r.ok()) << AllProblems(r);
  EXPECT_EQ(r.config.daemon.user, "mailtee");
  EXPECT_EQ(r.config.daemon.group, "");
}

TEST(DaemonElement, UserAndGroupAreRead) {
  ScratchDir dir;
  LoadResult r = Load(std::string("<mailtee>\n  <daemon user=\"mt\" group=\"mailadm\"/>") + kListener, dir);
  ASSERT_TRUE(r.ok()) << AllProblems(r);
  EXPECT_EQ(r.config.daemon.user, "mt");
  EXPECT_EQ(r.config.daemon.group, "mailadm");
  EXPECT_EQ(r.config.daemon.line, 2);
}

TEST(DaemonElement, RootOrAnEmptyNameIsAnError) {
  ScratchDir dir;
  LoadResult root = Load(std::string("<mailtee>\n  <daemon user=\"root\" group=\"root\"/>") + kListener, dir);
  EXPECT_FALSE(root.ok());
  ExpectProblem(root, "<daemon user=\"root\">: mailtee does not run as root", 2, false);
  ExpectProblem(root, "<daemon group=\"root\">: mailtee does not run in root's group", 2, false);
  LoadResult empty = Load(std::string("<mailtee>\n  <daemon user=\"\"/>") + kListener, dir);
  ExpectProblem(empty, "<daemon user=\"\"> is empty", 2, false);
  LoadResult typo = Load(std::string("<mailtee>\n  <daemon usr=\"mt\"/>") + kListener, dir);
  ExpectProblem(typo, "unknown attribute 'usr' on <daemon>", 2, false);
}

}  // namespace
}  // namespace mailtee::config
