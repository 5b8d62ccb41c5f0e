// Whether a browser request comes from this server's own pages: the Origin
// check behind the console's state-changing API calls and the approval-link
// form (the CSRF token and the link's token are the other halves).
#pragma once

#include <string>

#include "admin/http/http_message.h"

namespace mailtee::admin {

// "https://Host.example:8443/some/path" -> "https://host.example:8443";
// "https://host.example:443" -> "https://host.example" (how browsers send it).
std::string OriginOf(const std::string& url);

// No Origin header: true (curl and other non-browser clients). With a public
// URL configured, only its origin counts: the Host header is whatever name
// reached the server (DNS rebinding, a proxy), so "https://<Host>" would let
// a foreign site's page pass. Without one, "https://<Host>" is this server.
bool OriginIsThisServer(const Request& request, const std::string& public_url);

}  // namespace mailtee::admin
