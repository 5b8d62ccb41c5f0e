// ConnectionAdmission: which connections the admin server keeps. One pool
// used to serve everything, so 256 idle connections from 16 addresses locked
// out the console, the public approval links and the root-only local socket
// alike (issue 13). Now three limits apply:
//  * per client: one IPv4 address, or one IPv6 /64 (a single host is usually
//    given a whole /64 and can rotate through it), holds at most
//    max_per_client HTTPS connections; more are refused.
//  * HTTPS in all: at most max_tcp. When full, a newcomer whose client holds
//    at least two fewer connections than the biggest holder takes that
//    holder's oldest slot (fair share: one client's idle connections give way
//    to everyone else); otherwise the newcomer is refused.
//  * the local socket has its own max_local, which TCP clients never touch.
// Pure bookkeeping without sockets (unit-tested); AdminServer closes the
// connections it names.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>

#include "proxy/net/stream.h"

namespace mailtee::admin {

// "192.0.2.7" for IPv4 (and IPv4-mapped IPv6); the /64 for IPv6: "2001:db8:1:2::/64".
std::string ClientKey(const net::PeerAddress& peer);

class ConnectionAdmission {
 public:
  struct Limits {
    int max_tcp = 256;
    int max_per_client = 16;  // 0: no per-client cap
    int max_local = 16;
  };
  using Id = uint64_t;  // increasing: a smaller id is an older connection

  enum class Refusal { kNone, kPerClient, kFull, kLocalFull };
  struct Decision {
    Id id = 0;               // 0: refused
    Id evicted = 0;          // admitted in place of this connection: close it (its slot is already free)
    std::string client;      // ClientKey, or "local"
    Refusal refusal = Refusal::kNone;
    std::string reason;      // refused or evicted: one sentence for the log
    bool admitted() const { return id != 0; }
  };

  explicit ConnectionAdmission(Limits limits) : limits_(limits) {}

  Decision AdmitTcp(const net::PeerAddress& peer);
  Decision AdmitLocal();
  // The connection is gone. Ids already evicted, or unknown, are ignored.
  void Release(Id id);

  int tcp_connections() const { return tcp_; }
  int local_connections() const { return local_; }
  int connections_of(const std::string& client) const;

 private:
  Id Add(const std::string& client, bool local);
  // The biggest TCP holder's oldest connection, when it holds at least two more than `holds`; else 0.
  Id FairShareVictim(int holds, std::string* victim_client) const;

  Limits limits_;
  Id next_id_ = 1;
  std::map<Id, std::string> tcp_slots_;   // id -> client, oldest first
  std::unordered_map<std::string, int> per_client_;
  std::set<Id> local_slots_;
  int tcp_ = 0;
  int local_ = 0;
};

}  // namespace mailtee::admin
