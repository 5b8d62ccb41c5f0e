#include "admin/http/router.h"

#include <string_view>

namespace mailtee::admin {
namespace {

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t start = 1;  // paths start with '/'
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    out.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

void Router::Add(std::string method, std::string pattern, Access access, Handler handler) {
  routes_.push_back(Route{std::move(method), std::move(pattern), access, std::move(handler)});
}

bool Router::MatchPattern(const std::string& pattern, const std::string& path,
                          std::map<std::string, std::string>* params) {
  if (path.empty() || path[0] != '/') return false;
  std::vector<std::string_view> want = Segments(pattern), have = Segments(path);
  if (want.size() != have.size()) return false;
  std::map<std::string, std::string> captured;
  for (size_t i = 0; i < want.size(); ++i) {
    std::string_view w = want[i];
    if (w.size() >= 2 && w.front() == '{' && w.back() == '}') {
      if (have[i].empty()) return false;
      captured[std::string(w.substr(1, w.size() - 2))] = std::string(have[i]);
    } else if (w != have[i]) {
      return false;
    }
  }
  *params = std::move(captured);
  return true;
}

RouteMatch Router::Find(const std::string& method, const std::string& path) const {
  RouteMatch result;
  const std::string& effective = method == "HEAD" ? std::string("GET") : method;
  std::string allow;
  bool path_found = false;
  for (const Route& route : routes_) {
    std::map<std::string, std::string> params;
    if (!MatchPattern(route.pattern, path, &params)) continue;
    path_found = true;
    if (route.method == effective) {
      result.route = &route;
      result.params = std::move(params);
      return result;
    }
    if (allow.find(route.method) == std::string::npos) {
      if (!allow.empty()) allow += ", ";
      allow += route.method;
      if (route.method == "GET") allow += ", HEAD";
    }
  }
  result.status = path_found ? 405 : 404;
  result.allow = allow;
  return result;
}

bool IsStateChanging(const std::string& method) {
  return !(method == "GET" || method == "HEAD" || method == "OPTIONS");
}

}  // namespace mailtee::admin
