#include "admin/api/api_context.h"

#include "admin/auth/cookies.h"

namespace mailtee::admin {

const AdminSession* ApiContext::FindSession(const Request& request) {
  Status s = users->Refresh();
  if (!s.ok()) LogError(s.message());  // the last good copy still decides
  if (users->generation() != users_generation_seen) {
    users_generation_seen = users->generation();
    auto ended = sessions->RemoveIf([this](const AdminSession& session) {
      const AdminUser* account = users->Lookup(session.user);
      return !account || AccountStamp(*account) != session.account_stamp;
    });
    for (const AdminSession& gone : ended) {
      Audit(gone.user, gone.client_ip,
            users->Lookup(gone.user) ? "session ended: account changed" : "session ended: account removed");
    }
  }
  return sessions->Find(CookieValue(request.Header("cookie"), kSessionCookieName));
}

void ApiContext::Audit(const std::string& user, const std::string& from, const std::string& what) const {
  if (services.log) {
    services.log->Write(archive::LogKind::kSystem, "admin: user=" + (user.empty() ? "-" : user) + " from=" + from +
                                                       " " + what);
  }
}

void ApiContext::LogError(const std::string& what) const {
  if (services.log) services.log->Write(archive::LogKind::kSystem, "admin: error: " + what);
}

}  // namespace mailtee::admin
