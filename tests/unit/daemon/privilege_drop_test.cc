// proxy/daemon/privilege_drop.h: `mailtee run` started as root becomes the
// daemon user, keeps only CAP_NET_BIND_SERVICE and can never regain root
// (issue 13 item 18). The drop changes the whole process for good, so it runs
// in a forked child that reports through its exit code; tests that need root
// skip without it. The interop test test_privilege_drop.py checks the real
// binary (a port below 1024, storage owners, reload).
#include "proxy/daemon/privilege_drop.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace mailtee::daemon {
namespace {

constexpr uid_t kNobody = 65534;

bool IsRoot() { return ::geteuid() == 0; }

TEST(PrivilegeDrop, MissingUserIsAnErrorThatSaysHowToCreateIt) {
  DaemonAccount account;
  Status s = LookUpDaemonAccount("mailtee-no-such-user", "", &account);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("the daemon user 'mailtee-no-such-user' does not exist"), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("useradd --system --home /var/lib/mailtee"), std::string::npos) << s.message();
}

TEST(PrivilegeDrop, RootIsNeverTheDaemonAccount) {
  DaemonAccount account;
  Status s = LookUpDaemonAccount("root", "", &account);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("is root (uid 0)"), std::string::npos) << s.message();
  s = LookUpDaemonAccount("nobody", "root", &account);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("root's group"), std::string::npos) << s.message();
  EXPECT_FALSE(LookUpDaemonAccount("nobody", "no-such-group-xyz", &account).ok());
}

TEST(PrivilegeDrop, ExistingUserAndGroupAreLookedUp) {
  DaemonAccount account;
  ASSERT_TRUE(LookUpDaemonAccount("nobody", "", &account).ok());
  EXPECT_EQ(account.uid, kNobody);
  EXPECT_NE(account.gid, 0u);
}

TEST(PrivilegeDrop, StorageIsGivenToTheUserWithoutFollowingSymlinks) {
  if (!IsRoot()) GTEST_SKIP() << "needs root to change owners";
  char tmpl[] = "/tmp/mailtee-drop-test-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const std::string storage = dir + "/storage";
  std::filesystem::create_directories(storage + "/archive/tanaka");
  std::ofstream(storage + "/archive/tanaka/1.eml") << "mail";
  const std::string outside = dir + "/outside";
  std::ofstream(outside) << "not ours";
  std::filesystem::create_symlink(outside, storage + "/link");

  DaemonAccount account;
  ASSERT_TRUE(LookUpDaemonAccount("nobody", "", &account).ok());
  Status s = GiveStorageTo(storage, account);
  ASSERT_TRUE(s.ok()) << s.message();
  struct stat st;
  for (const char* p : {"", "/archive", "/archive/tanaka", "/archive/tanaka/1.eml"}) {
    ASSERT_EQ(::lstat((storage + p).c_str(), &st), 0) << p;
    EXPECT_EQ(st.st_uid, kNobody) << p;
    EXPECT_EQ(st.st_gid, account.gid) << p;
  }
  ASSERT_EQ(::lstat((storage + "/link").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, kNobody);
  ASSERT_EQ(::stat(outside.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u) << "the symlink's target must keep its owner";
  std::filesystem::remove_all(dir);
}

uint64_t Capabilities(int which) {  // 0 effective, 1 permitted, 2 inheritable
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  ::syscall(SYS_capget, &header, data);
  auto pick = [&](const __user_cap_data_struct& d) {
    return which == 0 ? d.effective : which == 1 ? d.permitted : d.inheritable;
  };
  return pick(data[0]) | (uint64_t{pick(data[1])} << 32);
}

// Exit codes: 0 as expected, 1x setup, 2x identity, 3x capabilities, 4x way back.
int DropAsChild() {
  DaemonAccount account;
  if (!LookUpDaemonAccount("nobody", "", &account).ok()) return 10;
  if (!DropPrivileges(account).ok()) return 11;
  uid_t r, e, s;
  ::getresuid(&r, &e, &s);
  if (r != kNobody || e != kNobody || s != kNobody) return 20;
  gid_t groups[4];
  if (::getgroups(4, groups) != 1 || groups[0] != account.gid) return 21;
  constexpr uint64_t kBind = uint64_t{1} << CAP_NET_BIND_SERVICE;
  if (Capabilities(0) != kBind || Capabilities(1) != kBind) return 30;
  // The one privilege kept: binding a port below 1024.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool bound = false;
  for (int port = 900; port < 1024 && !bound; ++port) {
    addr.sin_port = htons(static_cast<uint16_t>(port));
    bound = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ::close(fd);
  if (!bound) return 31;
  if (::setuid(0) == 0 || ::seteuid(0) == 0 || ::setgid(0) == 0) return 40;
  if (::open("/etc/shadow", O_RDONLY) >= 0) return 41;
  return 0;
}

TEST(PrivilegeDrop, DroppedProcessIsTheUserWithOnlyPortBinding) {
  if (!IsRoot()) GTEST_SKIP() << "needs root to drop privileges";
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) ::_exit(DropAsChild());
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(PrivilegeDrop, RefusedWithoutRoot) {
  if (IsRoot()) GTEST_SKIP() << "checks the non-root path";
  DaemonAccount account;
  ASSERT_TRUE(LookUpDaemonAccount("nobody", "", &account).ok());
  EXPECT_FALSE(DropPrivileges(account).ok());
}

}  // namespace
}  // namespace mailtee::daemon
