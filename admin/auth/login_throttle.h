// LoginThrottle: exponential back-off for failed logins, kept separately per
// key — logins use LoginThrottleKeys (one key per client network, one per
// user *and* client network), and a login is refused (429 + Retry-After)
// while either is locked. There is no key on the user name alone: then a
// flood of wrong passwords from anywhere would lock the owner out everywhere.
// The first free_failures failures cost nothing; each further one doubles the
// lockout (base_delay, 2×, 4×, ... up to max_delay). A success clears the
// key; a key with no failure for forget_after is forgotten. The table is bounded.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

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
  // One login attempt: refused (returns the seconds to wait, nothing recorded)
  // while any key is locked; otherwise counted as a failure on every key
  // *before* the password is checked — so parallel tries cannot all pass the
  // check while the first hashes still run — and 0 is returned. An attempt
  // that proves right clears its keys with RecordSuccess.
  int64_t BeginAttempt(const std::vector<std::string>& keys);
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

// The network a client address stands for: an IPv4 address itself (also when
// IPv4-mapped), an IPv6 address's /64 ("2001:db8:1:2::/64": one host usually
// has the whole /64). Anything unparsable is returned unchanged.
std::string ClientNetwork(const std::string& ip);

// The throttle keys of a password login: "login net=<ClientNetwork>" and
// "login user=<name> net=<ClientNetwork>".
std::vector<std::string> LoginThrottleKeys(const std::string& user, const std::string& client_ip);

}  // namespace mailtee::admin
