#include "admin/http/origin_check.h"

#include "archive/analysis_header.h"

namespace mailtee::admin {

std::string OriginOf(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const size_t path = url.find('/', scheme + 3);
  std::string origin = archive::ToLowerAscii(path == std::string::npos ? url : url.substr(0, path));
  const std::string default_port = ":443";
  if (origin.rfind("https://", 0) == 0 && origin.size() > default_port.size() &&
      origin.compare(origin.size() - default_port.size(), default_port.size(), default_port) == 0) {
    origin.resize(origin.size() - default_port.size());
  }
  return origin;
}

bool OriginIsThisServer(const Request& request, const std::string& public_url) {
  const std::string& origin = request.Header("origin");
  if (origin.empty()) return true;
  if (!public_url.empty()) return OriginOf(origin) == OriginOf(public_url);
  const std::string& host = request.Header("host");
  return !host.empty() && OriginOf(origin) == OriginOf("https://" + host);
}

}  // namespace mailtee::admin
