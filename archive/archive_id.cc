#include "archive/archive_id.h"

#include <openssl/rand.h>

#include <cstdio>
#include <ctime>

namespace mailtee::archive {

std::string NewArchiveId(std::chrono::system_clock::time_point at) {
  time_t seconds = std::chrono::system_clock::to_time_t(at);
  struct tm utc;
  gmtime_r(&seconds, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);

  uint8_t random[6];
  RAND_bytes(random, sizeof random);  // BoringSSL's RAND_bytes cannot fail (it aborts instead)
  char hex[13];
  for (size_t i = 0; i < sizeof random; ++i) std::snprintf(hex + 2 * i, 3, "%02x", random[i]);
  return std::string(stamp) + "-" + hex;
}

bool LooksLikeArchiveId(const std::string& id) {
  // YYYYMMDDTHHMMSSZ-xxxxxxxxxxxx
  if (id.size() != 16 + 1 + 12) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    char c = id[i];
    bool ok;
    if (i == 8) ok = c == 'T';
    else if (i == 15) ok = c == 'Z';
    else if (i == 16) ok = c == '-';
    else if (i < 15) ok = c >= '0' && c <= '9';
    else ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    if (!ok) return false;
  }
  return true;
}

}  // namespace mailtee::archive
