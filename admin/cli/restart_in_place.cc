#include "admin/cli/restart_in_place.h"

#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace mailtee::cli {

std::vector<std::string> OwnArguments() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  size_t start = 0;
  while (start < all.size()) {
    size_t end = all.find('\0', start);
    if (end == std::string::npos) end = all.size();
    args.push_back(all.substr(start, end - start));
    start = end + 1;
  }
  return args;
}

// The file this process runs. Exec'ing it by its real path (not
// /proc/self/exe) keeps the process named "mailtee", so `pgrep mailtee` still
// finds it after a reload. After a package upgrade replaced the binary the link
// reads "/usr/sbin/mailtee (deleted)" and the new file at that path is a
// different version: then the old image is exec'd through /proc/self/exe and
// NameProcess() restores the name.
static std::string ExecutablePath() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return "/proc/self/exe";
  std::string path(buf, static_cast<size_t>(n));
  const std::string deleted = " (deleted)";
  if (path.size() > deleted.size() && path.compare(path.size() - deleted.size(), deleted.size(), deleted) == 0) {
    return "/proc/self/exe";
  }
  if (::access(path.c_str(), X_OK) != 0) return "/proc/self/exe";
  return path;
}

void NameProcess() {
  char comm[17] = {};
  ::prctl(PR_GET_NAME, comm);
  if (std::strcmp(comm, "exe") == 0) ::prctl(PR_SET_NAME, "mailtee");
}

std::string ExecSelf() {
  std::vector<std::string> args = OwnArguments();
  if (args.empty()) return "cannot read /proc/self/cmdline";
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string exe = ExecutablePath();
  ::execv(exe.c_str(), argv.data());
  return "exec " + exe + ": " + std::strerror(errno);
}

}  // namespace mailtee::cli
