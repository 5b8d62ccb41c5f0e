#include "admin/auth/login_throttle.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace mailtee::admin {

LoginThrottle::LoginThrottle(Options options, Clock clock) : options_(options), clock_(std::move(clock)) {}

std::chrono::steady_clock::time_point LoginThrottle::Now() const {
  return clock_ ? clock_() : std::chrono::steady_clock::now();
}

void LoginThrottle::Forget(std::chrono::steady_clock::time_point now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    bool stale = now - it->second.last_failure >= options_.forget_after && now >= it->second.locked_until;
    it = stale ? entries_.erase(it) : std::next(it);
  }
}

int64_t LoginThrottle::RetryAfterSeconds(const std::string& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return 0;
  const auto now = Now();
  if (now >= it->second.locked_until) return 0;
  auto left = std::chrono::ceil<std::chrono::seconds>(it->second.locked_until - now);
  return std::max<int64_t>(1, left.count());
}

void LoginThrottle::RecordFailure(const std::string& key) {
  const auto now = Now();
  if (entries_.size() >= options_.max_keys && !entries_.count(key)) {
    Forget(now);
    if (entries_.size() >= options_.max_keys) {
      // Still full: drop the key whose last failure is oldest (least useful).
      auto oldest = std::min_element(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) {
        return a.second.last_failure < b.second.last_failure;
      });
      entries_.erase(oldest);
    }
  }
  Entry& e = entries_[key];
  if (e.failures > 0 && now - e.last_failure >= options_.forget_after) e = Entry{};
  ++e.failures;
  e.last_failure = now;
  int over = e.failures - options_.free_failures;
  if (over > 0) {
    std::chrono::seconds delay = options_.base_delay;
    for (int i = 1; i < over && delay < options_.max_delay; ++i) delay *= 2;
    delay = std::min(delay, options_.max_delay);
    e.locked_until = now + delay;
  }
}

void LoginThrottle::RecordSuccess(const std::string& key) { entries_.erase(key); }

int64_t LoginThrottle::BeginAttempt(const std::vector<std::string>& keys) {
  int64_t wait = 0;
  for (const std::string& key : keys) wait = std::max(wait, RetryAfterSeconds(key));
  if (wait > 0) return wait;
  for (const std::string& key : keys) RecordFailure(key);
  return 0;
}

std::string ClientNetwork(const std::string& ip) {
  unsigned char bytes[16];
  if (inet_pton(AF_INET, ip.c_str(), bytes) == 1) return ip;
  if (inet_pton(AF_INET6, ip.c_str(), bytes) != 1) return ip;
  static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  char text[INET6_ADDRSTRLEN];
  if (std::memcmp(bytes, kMapped, sizeof kMapped) == 0) {
    inet_ntop(AF_INET, bytes + 12, text, sizeof text);
    return text;
  }
  std::memset(bytes + 8, 0, 8);
  inet_ntop(AF_INET6, bytes, text, sizeof text);
  return std::string(text) + "/64";
}

std::vector<std::string> LoginThrottleKeys(const std::string& user, const std::string& client_ip) {
  const std::string net = ClientNetwork(client_ip);
  return {"login net=" + net, "login user=" + user + " net=" + net};
}

}  // namespace mailtee::admin
