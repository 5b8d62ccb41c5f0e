#include "admin/api/api_context.h"

namespace mailtee::admin {

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
