#include "proxy/net/uv_error.h"

#include <uv.h>

namespace mailtee::net {

Status UvError(const std::string& context, int uv_status) {
  return Status::Error(context + ": " + uv_strerror(uv_status) + " (" + uv_err_name(uv_status) + ")");
}

std::string HostPort(const std::string& host, uint16_t port) {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

}  // namespace mailtee::net
