// CheckWritable: can the daemon's user write (or create) a path? Checked for
// a given uid/gid from the mode bits, so the answer does not depend on who
// runs the test (root passes access(2) everywhere).
#include "config/writable_path.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "tests/unit/config/config_test_util.h"

namespace mailtee::config {
namespace {

using Folder = testing::ScratchDir;

// Someone who owns nothing here: only the "other" bits count for them.
RunAs Stranger() {
  RunAs as;
  as.uid = 54321;
  as.gid = 54321;
  return as;
}

RunAs Owner(const std::string& path) {
  struct stat st;
  EXPECT_EQ(stat(path.c_str(), &st), 0);
  RunAs as;
  as.uid = st.st_uid == 0 ? 54322 : st.st_uid;  // a non-root owner, so the bits matter
  as.gid = st.st_gid;
  if (st.st_uid == 0) chown(path.c_str(), as.uid, as.gid);
  return as;
}

TEST(WritablePathTest, AFolderOnlyItsOwnerMayWriteIsNotWritableForAnotherUser) {
  Folder f;
  ASSERT_EQ(chmod(f.path().c_str(), 0755), 0);
  const RunAs stranger = Stranger();
  Status s = CheckWritable(f.path(), &stranger);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("not writable by uid 54321"), std::string::npos) << s.message();
  const RunAs owner = Owner(f.path());
  EXPECT_TRUE(CheckWritable(f.path(), &owner).ok()) << CheckWritable(f.path(), &owner).message();
}

TEST(WritablePathTest, AMissingPathNeedsItsNearestExistingFolderWritable) {
  Folder f;
  ASSERT_EQ(chmod(f.path().c_str(), 0755), 0);
  const std::string deep = f.path() + "/a/b/approval.key";
  const RunAs stranger = Stranger();
  Status s = CheckWritable(deep, &stranger);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find(f.path()), std::string::npos) << "names the folder that stops it: " << s.message();
  ASSERT_EQ(chmod(f.path().c_str(), 0777), 0);
  EXPECT_TRUE(CheckWritable(deep, &stranger).ok()) << CheckWritable(deep, &stranger).message();
}

TEST(WritablePathTest, AFolderOnTheWayWithoutSearchPermissionStopsIt) {
  Folder f;
  const std::string inner = f.path() + "/inner";
  ASSERT_EQ(mkdir(inner.c_str(), 0777), 0);
  ASSERT_EQ(chmod(inner.c_str(), 0777), 0);
  ASSERT_EQ(chmod(f.path().c_str(), 0700), 0);  // the stranger cannot enter the parent
  const RunAs stranger = Stranger();
  Status s = CheckWritable(inner + "/new", &stranger);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("no search permission"), std::string::npos) << s.message();
}

TEST(WritablePathTest, AFileWhereAFolderIsNeededCannotHoldNewFiles) {
  Folder f;
  const std::string file = f.path() + "/plain";
  std::ofstream(file) << "x";
  Status s = CheckWritable(file + "/approval.key", nullptr);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("is not a folder"), std::string::npos) << s.message();
}

TEST(WritablePathTest, TheCurrentUserCanWriteItsOwnTempFolder) {
  Folder f;
  EXPECT_TRUE(CheckWritable(f.path() + "/new/file", nullptr).ok());
}

}  // namespace
}  // namespace mailtee::config
