#include "admin/auth/users_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <tinyxml2.h>

#include "admin/auth/password_hash.h"
#include "admin/auth/random_token.h"
#include "archive/report.h"

namespace mailtee::admin {
namespace {

constexpr size_t kMaxUsersFileBytes = 1 << 20;

Status WriteAll(int fd, const std::string& data, const std::string& path) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::PosixError("write " + path, errno);
    }
    off += static_cast<size_t>(n);
  }
  return Status::Ok();
}

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

bool IsValidUserName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (unsigned char c : name) {
    if (!(std::isalnum(c) || c == '.' || c == '_' || c == '-' || c == '@')) return false;
  }
  return true;
}

Status LoadUsersFile(const std::string& path, std::vector<AdminUser>* users) {
  users->clear();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::Ok();
    return Status::PosixError("open admin users file " + path, errno);
  }
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return Status::PosixError("stat " + path, err);
  }
  if (st.st_mode & 077) {
    ::close(fd);
    return Status::Error("admin users file " + path + " is readable by group or others: chmod 600 " + path);
  }
  if (static_cast<size_t>(st.st_size) > kMaxUsersFileBytes) {
    ::close(fd);
    return Status::Error("admin users file " + path + " is larger than 1 MiB");
  }
  std::string text(static_cast<size_t>(st.st_size), '\0');
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::read(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  ::close(fd);
  text.resize(off);

  tinyxml2::XMLDocument doc;
  if (doc.Parse(text.data(), text.size()) != tinyxml2::XML_SUCCESS) {
    return Status::Error("admin users file " + path + ": line " + std::to_string(doc.ErrorLineNum()) + ": " +
                         doc.ErrorStr());
  }
  const tinyxml2::XMLElement* root = doc.RootElement();
  if (!root || std::string(root->Name()) != "admin-users") {
    return Status::Error("admin users file " + path + ": the root element must be <admin-users>");
  }
  for (const auto* e = root->FirstChildElement("user"); e; e = e->NextSiblingElement("user")) {
    AdminUser u;
    u.name = e->Attribute("name") ? e->Attribute("name") : "";
    u.hash = e->Attribute("hash") ? e->Attribute("hash") : "";
    u.created = e->Attribute("created") ? e->Attribute("created") : "";
    const std::string where = path + ":" + std::to_string(e->GetLineNum());
    if (!IsValidUserName(u.name)) return Status::Error(where + ": invalid or missing user name");
    if (const char* role = e->Attribute("role"); role && !ParseRole(role, &u.role)) {
      return Status::Error(where + ": user " + u.name + " has an unknown role '" + role + "' (use " + kRoleChoices +
                           ", e.g. mailtee admin add-user " + u.name + " --role auditor)");
    }
    if (!LooksLikePasswordHash(u.hash)) {
      return Status::Error(where + ": user " + u.name + " has no Argon2id hash (create it with: mailtee admin add-user " +
                           u.name + ")");
    }
    users->push_back(std::move(u));
  }
  return Status::Ok();
}

Status SaveUsersFile(const std::string& path, const std::vector<AdminUser>& users) {
  tinyxml2::XMLDocument doc;
  doc.InsertEndChild(doc.NewDeclaration());
  tinyxml2::XMLElement* root = doc.NewElement("admin-users");
  doc.InsertEndChild(root);
  for (const AdminUser& u : users) {
    tinyxml2::XMLElement* e = doc.NewElement("user");
    e->SetAttribute("name", u.name.c_str());
    e->SetAttribute("hash", u.hash.c_str());
    if (!u.created.empty()) e->SetAttribute("created", u.created.c_str());
    e->SetAttribute("role", RoleName(u.role));
    root->InsertEndChild(e);
  }
  tinyxml2::XMLPrinter printer;
  doc.Print(&printer);
  const std::string text(printer.CStr(), printer.CStrSize() > 0 ? printer.CStrSize() - 1 : 0);

  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::PosixError("create " + tmp, errno);
  fchmod(fd, 0600);  // even if the temp file existed with looser bits
  Status s = WriteAll(fd, text, tmp);
  if (s.ok() && ::fsync(fd) != 0) s = Status::PosixError("fsync " + tmp, errno);
  ::close(fd);
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) s = Status::PosixError("rename " + tmp + " to " + path, errno);
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  int dir = ::open(DirName(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return Status::Ok();
}

std::string AccountStamp(const AdminUser& user) {
  return TokenDigest(user.hash + "\n" + RoleName(user.role));
}

Status UpsertUser(const std::string& path, const std::string& name, const std::string& hash,
                  std::optional<Role> role, bool* replaced) {
  if (!IsValidUserName(name)) return Status::Error("invalid user name '" + name + "' (1-64 of A-Z a-z 0-9 . _ @ -)");
  std::vector<AdminUser> users;
  Status s = LoadUsersFile(path, &users);
  if (!s.ok()) return s;
  *replaced = false;
  for (AdminUser& u : users) {
    if (u.name == name) {
      u.hash = hash;
      if (role) u.role = *role;
      *replaced = true;
    }
  }
  if (!*replaced) {
    users.push_back({name, hash, archive::FormatIsoTime(std::chrono::system_clock::now()), role.value_or(Role::kAdmin)});
  }
  return SaveUsersFile(path, users);
}

Status UpsertUser(const std::string& path, const std::string& name, const std::string& hash, bool* replaced) {
  return UpsertUser(path, name, hash, std::nullopt, replaced);
}

Status RemoveUser(const std::string& path, const std::string& name, bool* removed) {
  std::vector<AdminUser> users;
  Status s = LoadUsersFile(path, &users);
  if (!s.ok()) return s;
  const size_t before = users.size();
  std::erase_if(users, [&](const AdminUser& u) { return u.name == name; });
  *removed = users.size() != before;
  return *removed ? SaveUsersFile(path, users) : Status::Ok();
}

Status UserDirectory::Refresh() {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    if (errno != ENOENT) return Status::PosixError("stat " + path_, errno);
    if (!loaded_ || size_ != -1) ++generation_;  // the file went away: every account is gone
    users_.clear();
    loaded_ = true;
    size_ = -1;
    return Status::Ok();
  }
  if (loaded_ && st.st_mtim.tv_sec == mtime_.tv_sec && st.st_mtim.tv_nsec == mtime_.tv_nsec &&
      st.st_size == size_ && st.st_ino == inode_) {
    return Status::Ok();
  }
  std::vector<AdminUser> fresh;
  Status s = LoadUsersFile(path_, &fresh);
  if (!s.ok()) return s;
  users_ = std::move(fresh);
  ++generation_;
  loaded_ = true;
  mtime_ = st.st_mtim;
  size_ = st.st_size;
  inode_ = st.st_ino;
  return Status::Ok();
}

Status UserDirectory::FindHash(const std::string& name, std::string* hash, bool* found) {
  AdminUser user;
  Status s = Find(name, &user, found);
  if (*found) *hash = user.hash;
  return s;
}

Status UserDirectory::Find(const std::string& name, AdminUser* user, bool* found) {
  Status s = Refresh();
  const AdminUser* u = Lookup(name);
  *found = u != nullptr;
  if (u) *user = *u;
  return s;
}

const AdminUser* UserDirectory::Lookup(const std::string& name) const {
  for (const AdminUser& u : users_) {
    if (u.name == name) return &u;
  }
  return nullptr;
}

size_t UserDirectory::user_count() {
  Refresh();
  return users_.size();
}

}  // namespace mailtee::admin
