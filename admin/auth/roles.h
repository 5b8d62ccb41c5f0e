// Console roles. Every account has exactly one:
//   admin    everything (approve/reject/delegate, config view, validate, reload)
//   auditor  read only: dashboard, archive search, messages, downloads/export,
//            logs, approval queue and history — never a change, never the config
// The route table says which role each endpoint needs (Access in
// admin/http/router.h); AdminServer::Dispatch enforces it in one place.
// A users file entry without a role is an admin (files older than roles).
#pragma once

#include <string>

namespace mailtee::admin {

enum class Role { kAdmin, kAuditor };

inline constexpr const char* kRoleChoices = "admin|auditor";

const char* RoleName(Role role);
// "admin" or "auditor" (exactly); false for anything else.
bool ParseRole(const std::string& text, Role* role);

}  // namespace mailtee::admin
