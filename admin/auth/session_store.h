// SessionStore: logged-in admin sessions, in memory. A clean stop (and every
// reload) saves them to an owner-only file that the next start reads and
// deletes (admin/auth/session_file.h), so a reload does not log anyone out;
// after a crash everyone logs in again. The browser holds a random token
// in the session cookie; the store is keyed by the token's digest. Each
// session has its own CSRF token, which the client echoes in X-CSRF-Token on
// every state-changing request (the cookie alone never authorises a change).
//
// Sessions end after idle_timeout without a request, after max_lifetime in any
// case, on logout, when the store is full (oldest evicted first), or when the
// account was changed or removed (RemoveIf; ApiContext::FindSession compares
// account_stamp with the users file).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "admin/auth/roles.h"

namespace mailtee::admin {

struct AdminSession {
  std::string user;
  Role role = Role::kAuditor;  // what the account was at login (a change ends the session)
  std::string account_stamp;   // AccountStamp() of the account at login
  std::string csrf_token;
  std::string client_ip;
  std::chrono::steady_clock::time_point created, last_seen;
};

class SessionStore {
 public:
  struct Options {
    std::chrono::seconds idle_timeout{30 * 60};
    std::chrono::seconds max_lifetime{12 * 3600};
    size_t max_sessions = 256;
  };
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  explicit SessionStore(Options options, Clock clock = nullptr);

  // Returns the cookie token; *session (optional) gets the new session.
  std::string Create(const std::string& user, Role role, const std::string& account_stamp,
                     const std::string& client_ip, AdminSession* session = nullptr);
  // The live session for a cookie token (refreshing its idle time), or null.
  const AdminSession* Find(const std::string& token);
  void Remove(const std::string& token);
  // Ends every session for which stale() is true; returns them (for the audit log).
  std::vector<AdminSession> RemoveIf(const std::function<bool(const AdminSession&)>& stale);
  size_t size() const { return sessions_.size(); }

  // Every live session as text, one per line: the token's digest (never the
  // token), user, role, account stamp, CSRF token, client, and the wall-clock
  // times of login and last request (steady_clock does not survive a reboot).
  std::string Export() const;
  // Adds the sessions of an Export(); expired ones and unreadable lines are
  // dropped. Returns how many were restored.
  size_t Import(const std::string& text);

 private:
  std::chrono::steady_clock::time_point Now() const;
  bool Expired(const AdminSession& s, std::chrono::steady_clock::time_point now) const;
  void DropExpired();

  Options options_;
  Clock clock_;
  std::map<std::string, AdminSession> sessions_;  // digest(token) -> session
};

// The CSRF check for a state-changing request: header value must equal the
// session's token (constant time).
bool CsrfTokenValid(const AdminSession& session, const std::string& header_value);

}  // namespace mailtee::admin
