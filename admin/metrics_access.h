// Who may read GET /metrics. A Prometheus scraper cannot log in, so besides a
// console session and the root-only local socket, /metrics is open to:
//   * clients whose address is in <admin metrics-allow="..."> (default:
//     loopback only, 127.0.0.1/32 and ::1/128), and
//   * requests with "Authorization: Bearer <token>", the token being the
//     contents of <admin metrics-token-file="..."> (a root-only file).
// Anything else: 401 (no credentials) or 403 (a wrong token).
#pragma once

#include <string>
#include <vector>

#include "admin/http/http_message.h"
#include "config/config.h"
#include "config/status.h"

namespace mailtee::admin {

// 127.0.0.1/32 and ::1/128.
std::vector<config::Network> DefaultMetricsAllow();

// Reads the scrape token: a regular file, not group/other accessible, owned by
// root or by the daemon's user; its first line, trimmed, at least 16
// characters. The token never appears in errors or logs.
Status LoadMetricsToken(const std::string& path, std::string* token);

// True when ip ("192.0.2.1", "::1") is inside one of the networks.
bool AddressAllowed(const std::vector<config::Network>& allow, const std::string& ip);

enum class MetricsAccess { kAllowed, kNeedsCredentials /*401*/, kWrongToken /*403*/ };

// has_session: the request carries a valid console session cookie.
MetricsAccess CheckMetricsAccess(const Request& request, bool has_session,
                                 const std::vector<config::Network>& allow, const std::string& token);

}  // namespace mailtee::admin
