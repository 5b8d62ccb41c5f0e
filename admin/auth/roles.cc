#include "admin/auth/roles.h"

namespace mailtee::admin {

const char* RoleName(Role role) { return role == Role::kAuditor ? "auditor" : "admin"; }

bool ParseRole(const std::string& text, Role* role) {
  if (text == "admin") {
    *role = Role::kAdmin;
    return true;
  }
  if (text == "auditor") {
    *role = Role::kAuditor;
    return true;
  }
  return false;
}

}  // namespace mailtee::admin
