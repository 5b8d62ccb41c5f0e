// Router: the route table of the admin API. A route is a method, a path
// pattern whose "{name}" segments capture one path segment, a handler, and
// who may call it (Access: public, any logged-in role, or admins only — the
// one place roles are declared; AdminServer::Dispatch enforces them). Lookup tells apart "no such path"
// (404) from "path exists, method not allowed" (405 with Allow). HEAD is
// served by GET routes (the connection drops the body).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "admin/http/http_message.h"

namespace mailtee::admin {

// Handlers answer exactly once, now or later (e.g. after a password hash on a
// worker thread). Calling reply after the connection is gone is harmless.
using Reply = std::function<void(Response)>;
using Handler = std::function<void(const Request&, Reply)>;

enum class Access {
  kSession,  // logged-in session of any role (auditor: reading); state-changing methods also need X-CSRF-Token
  kAdmin,    // like kSession, and the account's role must be admin (changes, config); else 403
  kPublic,   // no session (login)
};

struct Route {
  std::string method;
  std::string pattern;
  Access access = Access::kSession;
  Handler handler;
};

struct RouteMatch {
  const Route* route = nullptr;                 // null when status is 404/405
  int status = 0;                               // 0 found, 404, 405
  std::string allow;                            // for 405: "GET, HEAD"
  std::map<std::string, std::string> params;    // {name} captures
};

class Router {
 public:
  void Add(std::string method, std::string pattern, Access access, Handler handler);
  RouteMatch Find(const std::string& method, const std::string& path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  static bool MatchPattern(const std::string& pattern, const std::string& path,
                           std::map<std::string, std::string>* params);
  std::vector<Route> routes_;
};

// GET, HEAD and OPTIONS never change state; everything else needs the CSRF token.
bool IsStateChanging(const std::string& method);

}  // namespace mailtee::admin
