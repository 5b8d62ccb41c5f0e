#include "admin/auth/session_store.h"

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

bool CsrfTokenValid(const AdminSession& session, const std::string& header_value) {
  return TokensEqual(session.csrf_token, header_value);
}

}  // namespace mailtee::admin
