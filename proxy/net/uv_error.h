// libuv error codes → Status with the operation that failed ("connect to
// smtp.example.org:587 failed: connection refused").
#pragma once

#include <string>

#include "config/status.h"

namespace mailtee::net {

Status UvError(const std::string& context, int uv_status);

// "192.0.2.1:25" or "[::1]:25".
std::string HostPort(const std::string& host, uint16_t port);

}  // namespace mailtee::net
