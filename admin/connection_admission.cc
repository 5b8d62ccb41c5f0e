#include "admin/connection_admission.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstring>

namespace mailtee::admin {

std::string ClientKey(const net::PeerAddress& peer) {
  if (peer.family != AF_INET6) return peer.text;
  uint8_t prefix[16] = {};
  std::memcpy(prefix, peer.bytes, 8);
  char text[INET6_ADDRSTRLEN] = {};
  if (!inet_ntop(AF_INET6, prefix, text, sizeof text)) return peer.text;
  return std::string(text) + "/64";
}

int ConnectionAdmission::connections_of(const std::string& client) const {
  auto it = per_client_.find(client);
  return it == per_client_.end() ? 0 : it->second;
}

ConnectionAdmission::Id ConnectionAdmission::Add(const std::string& client, bool local) {
  const Id id = next_id_++;
  if (local) {
    local_slots_.insert(id);
    ++local_;
  } else {
    tcp_slots_.emplace(id, client);
    ++per_client_[client];
    ++tcp_;
  }
  return id;
}

ConnectionAdmission::Decision ConnectionAdmission::AdmitLocal() {
  Decision d;
  d.client = "local";
  if (local_ >= limits_.max_local) {
    d.refusal = Refusal::kLocalFull;
    d.reason = "the local socket has " + std::to_string(local_) + " connections (limit " +
               std::to_string(limits_.max_local) + ")";
    return d;
  }
  d.id = Add(d.client, true);
  return d;
}

ConnectionAdmission::Decision ConnectionAdmission::AdmitTcp(const net::PeerAddress& peer) {
  Decision d;
  d.client = ClientKey(peer);
  const int holds = connections_of(d.client);
  if (limits_.max_per_client > 0 && holds >= limits_.max_per_client) {
    d.refusal = Refusal::kPerClient;
    d.reason = "too many connections from " + d.client + " (limit " + std::to_string(limits_.max_per_client) + ")";
    return d;
  }
  if (tcp_ >= limits_.max_tcp) {
    std::string victim_client;
    const Id victim = FairShareVictim(holds, &victim_client);
    if (victim == 0) {
      d.refusal = Refusal::kFull;
      d.reason = "the console has " + std::to_string(tcp_) + " connections (limit " +
                 std::to_string(limits_.max_tcp) + ")";
      return d;
    }
    d.reason = "the console is full (" + std::to_string(limits_.max_tcp) + "): closed the oldest of the " +
               std::to_string(connections_of(victim_client)) + " connections from " + victim_client;
    Release(victim);
    d.evicted = victim;
  }
  d.id = Add(d.client, false);
  return d;
}

ConnectionAdmission::Id ConnectionAdmission::FairShareVictim(int holds, std::string* victim_client) const {
  const std::string* biggest = nullptr;
  int most = 0;
  for (const auto& [client, n] : per_client_) {
    if (n > most) {
      most = n;
      biggest = &client;
    }
  }
  // Two more, not one: taking a slot from a client that holds just one more
  // would only swap who is short, and the two would evict each other in turn.
  if (!biggest || most < holds + 2) return 0;
  for (const auto& [id, client] : tcp_slots_) {
    if (client == *biggest) {
      *victim_client = client;
      return id;
    }
  }
  return 0;
}

void ConnectionAdmission::Release(Id id) {
  if (local_slots_.erase(id)) {
    --local_;
    return;
  }
  auto it = tcp_slots_.find(id);
  if (it == tcp_slots_.end()) return;
  auto count = per_client_.find(it->second);
  if (count != per_client_.end() && --count->second <= 0) per_client_.erase(count);
  tcp_slots_.erase(it);
  --tcp_;
}

}  // namespace mailtee::admin
