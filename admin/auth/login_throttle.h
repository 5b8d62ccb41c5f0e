// LoginThrottle: exponential back-off for failed logins, kept separately per
// key — the server uses one key per client IP and one per user name, and a
// login is refused (429 + Retry-After) while either is locked. The first
// free_failures failures cost nothing; each further one doubles the lockout
// (base_delay, 2×, 4×, ... up to max_delay). A success clears the key;
// a key with no failure for forget_after is forgotten. The table is bounded.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>

namespace mailtee::admin {

class LoginThrottle {
 public:
  struct Options {
    int free_failures = 5;
    std::chrono::seconds base_delay{1};
    std::chrono::seconds max_delay{15 * 60};
    std::chrono::seconds forget_after{60 * 60};
    size_t max_keys = 10000;
  };
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  explicit LoginThrottle(Options options, Clock clock = nullptr);

  // Seconds until key may try again; 0 when it may try now.
  int64_t RetryAfterSeconds(const std::string& key);
  void RecordFailure(const std::string& key);
  void RecordSuccess(const std::string& key);
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    int failures = 0;
    std::chrono::steady_clock::time_point last_failure;
    std::chrono::steady_clock::time_point locked_until;
  };
  std::chrono::steady_clock::time_point Now() const;
  void Forget(std::chrono::steady_clock::time_point now);

  Options options_;
  Clock clock_;
  std::map<std::string, Entry> entries_;
};

}  // namespace mailtee::admin
