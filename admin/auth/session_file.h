// The console sessions across a restart: AdminServer::Stop saves them to
// <storage>/admin-sessions (mode 0600, written atomically) and the next
// AdminServer::Start restores and deletes the file. Deleting it at once means
// a crash never brings back a session that logged out after the last start.
// The file holds token digests, not the cookie tokens themselves.
#pragma once

#include <string>

#include "admin/auth/session_store.h"
#include "config/status.h"

namespace mailtee::admin {

Status SaveSessions(const SessionStore& store, const std::string& path);

// A missing file restores nothing and is not an error. A file another user
// could have written (not ours, or open to group/others) is ignored and deleted.
Status RestoreSessions(const std::string& path, SessionStore* store, size_t* restored);

}  // namespace mailtee::admin
