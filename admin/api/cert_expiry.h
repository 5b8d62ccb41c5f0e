// When the server certificate expires, for /api/status and /metrics (an
// expired admin or listener certificate is the classic silent outage).
#pragma once

#include <cstdint>
#include <string>

#include "config/status.h"

namespace mailtee::admin {

struct CertificateExpiry {
  int64_t not_after_unix = 0;   // seconds since the epoch (UTC)
  int64_t seconds_left = 0;     // negative once expired
  std::string subject;          // "CN=mail.example.org"
};

Status ReadCertificateExpiry(const std::string& pem_file, CertificateExpiry* out);

}  // namespace mailtee::admin
