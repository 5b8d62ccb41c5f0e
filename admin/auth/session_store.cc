#include "admin/auth/session_store.h"

#include <sstream>

#include "admin/auth/random_token.h"

namespace mailtee::admin {

SessionStore::SessionStore(Options options, Clock clock) : options_(options), clock_(std::move(clock)) {}

std::chrono::steady_clock::time_point SessionStore::Now() const {
  return clock_ ? clock_() : std::chrono::steady_clock::now();
}

bool SessionStore::Expired(const AdminSession& s, std::chrono::steady_clock::time_point now) const {
  return now - s.last_seen >= options_.idle_timeout || now - s.created >= options_.max_lifetime;
}

void SessionStore::DropExpired() {
  const auto now = Now();
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    it = Expired(it->second, now) ? sessions_.erase(it) : std::next(it);
  }
}

std::string SessionStore::Create(const std::string& user, Role role, const std::string& account_stamp,
                                 const std::string& client_ip, AdminSession* session) {
  DropExpired();
  while (!sessions_.empty() && sessions_.size() >= options_.max_sessions) {
    auto oldest = sessions_.begin();
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
      if (it->second.last_seen < oldest->second.last_seen) oldest = it;
    }
    sessions_.erase(oldest);
  }
  const std::string token = NewRandomToken();
  AdminSession s;
  s.user = user;
  s.role = role;
  s.account_stamp = account_stamp;
  s.client_ip = client_ip;
  s.csrf_token = NewRandomToken();
  s.created = s.last_seen = Now();
  if (session) *session = s;
  sessions_[TokenDigest(token)] = std::move(s);
  return token;
}

const AdminSession* SessionStore::Find(const std::string& token) {
  if (token.empty()) return nullptr;
  auto it = sessions_.find(TokenDigest(token));
  if (it == sessions_.end()) return nullptr;
  const auto now = Now();
  if (Expired(it->second, now)) {
    sessions_.erase(it);
    return nullptr;
  }
  it->second.last_seen = now;
  return &it->second;
}

void SessionStore::Remove(const std::string& token) { sessions_.erase(TokenDigest(token)); }

std::vector<AdminSession> SessionStore::RemoveIf(const std::function<bool(const AdminSession&)>& stale) {
  std::vector<AdminSession> removed;
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (stale(it->second)) {
      removed.push_back(std::move(it->second));
      it = sessions_.erase(it);
    } else {
      ++it;
    }
  }
  return removed;
}

namespace {
// The export's header line; a file of another format is ignored.
constexpr char kExportFormat[] = "mailtee-admin-sessions 1";
}  // namespace

std::string SessionStore::Export() const {
  using namespace std::chrono;
  const auto now = Now();
  const auto wall_now = system_clock::now();
  auto wall = [&](steady_clock::time_point t) {
    return std::to_string(duration_cast<seconds>((wall_now - (now - t)).time_since_epoch()).count());
  };
  std::string out = std::string(kExportFormat) + "\n";
  for (const auto& [digest, s] : sessions_) {
    if (Expired(s, now)) continue;
    // No field can hold a tab or newline: digests and tokens are hex/base64url,
    // user names are [A-Za-z0-9._@-], addresses are numeric.
    out += digest + "\t" + s.user + "\t" + RoleName(s.role) + "\t" + s.account_stamp + "\t" + s.csrf_token +
           "\t" + s.client_ip + "\t" + wall(s.created) + "\t" + wall(s.last_seen) + "\n";
  }
  return out;
}

size_t SessionStore::Import(const std::string& text) {
  using namespace std::chrono;
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line) || line != kExportFormat) return 0;
  const auto now = Now();
  const auto wall_now = system_clock::now();
  size_t restored = 0;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::istringstream fields(line);
    for (std::string part; std::getline(fields, part, '\t');) f.push_back(part);
    if (f.size() != 8 || f[0].empty() || f[4].empty()) continue;
    AdminSession s;
    if (!ParseRole(f[2], &s.role)) continue;
    long long created = 0, last_seen = 0;
    try {
      created = std::stoll(f[6]);
      last_seen = std::stoll(f[7]);
    } catch (...) {
      continue;
    }
    auto steady = [&](long long wall) {
      // A clock set backwards would make the session younger: never newer than now.
      auto age = wall_now - system_clock::time_point(seconds(wall));
      return age.count() < 0 ? now : now - duration_cast<steady_clock::duration>(age);
    };
    s.user = f[1];
    s.account_stamp = f[3];
    s.csrf_token = f[4];
    s.client_ip = f[5];
    s.created = steady(created);
    s.last_seen = steady(last_seen);
    if (Expired(s, now) || sessions_.size() >= options_.max_sessions) continue;
    sessions_[f[0]] = std::move(s);
    ++restored;
  }
  return restored;
}

bool CsrfTokenValid(const AdminSession& session, const std::string& header_value) {
  return TokensEqual(session.csrf_token, header_value);
}

}  // namespace mailtee::admin
