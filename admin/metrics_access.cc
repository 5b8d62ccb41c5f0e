#include "admin/metrics_access.h"

#include <arpa/inet.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/auth/random_token.h"
#include "config/small_file.h"

namespace mailtee::admin {
namespace {

constexpr size_t kMinTokenLength = 16;

std::string Trimmed(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  size_t first = line.find_first_not_of(" \t\r");
  if (first == std::string::npos) return "";
  size_t last = line.find_last_not_of(" \t\r");
  return line.substr(first, last - first + 1);
}

}  // namespace

std::vector<config::Network> DefaultMetricsAllow() {
  return {*config::Network::Parse("127.0.0.1/32"), *config::Network::Parse("::1/128")};
}

Status LoadMetricsToken(const std::string& path, std::string* token) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return Status::PosixError("metrics-token-file " + path, errno);
  if (st.st_uid != 0 && st.st_uid != ::geteuid()) {
    return Status::Error("metrics-token-file " + path + " is owned by uid " + std::to_string(st.st_uid) +
                         ": it must belong to root or the daemon user (chown mailtee " + path + ")");
  }
  std::string text;
  unsigned mode = 0;
  Status s = config::ReadSmallFile(path, 4096, &text, &mode);
  if (!s.ok()) return s.WithContext("(metrics-token-file)");
  if (mode & 077) {
    return Status::Error("metrics-token-file " + path + " is readable by others: chmod 600 " + path);
  }
  std::string value = Trimmed(text);
  if (value.size() < kMinTokenLength) {
    return Status::Error("metrics-token-file " + path + " holds no token of at least " +
                         std::to_string(kMinTokenLength) + " characters (e.g. openssl rand -hex 32 > " + path + ")");
  }
  *token = std::move(value);
  return Status::Ok();
}

bool AddressAllowed(const std::vector<config::Network>& allow, const std::string& ip) {
  uint8_t bytes[16];
  int family = 0;
  if (inet_pton(AF_INET, ip.c_str(), bytes) == 1) family = AF_INET;
  else if (inet_pton(AF_INET6, ip.c_str(), bytes) == 1) family = AF_INET6;
  else return false;
  for (const config::Network& net : allow) {
    if (net.Contains(family, bytes)) return true;
  }
  return false;
}

MetricsAccess CheckMetricsAccess(const Request& request, bool has_session,
                                 const std::vector<config::Network>& allow, const std::string& token) {
  if (request.local_socket || has_session) return MetricsAccess::kAllowed;
  const std::string& authorization = request.Header("authorization");
  if (!authorization.empty()) {
    // A presented token must be right even from an allowed address: a wrong
    // one is a misconfigured (or probing) scraper worth a 403.
    const std::string prefix = "Bearer ";
    bool bearer = authorization.compare(0, prefix.size(), prefix) == 0;
    if (bearer && !token.empty() && TokensEqual(token, Trimmed(authorization.substr(prefix.size())))) {
      return MetricsAccess::kAllowed;
    }
    return MetricsAccess::kWrongToken;
  }
  if (AddressAllowed(allow, request.peer_ip)) return MetricsAccess::kAllowed;
  return MetricsAccess::kNeedsCredentials;
}

}  // namespace mailtee::admin
