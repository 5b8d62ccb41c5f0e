#include "proxy/pop3/pop3_proxy.h"

#include <vector>

#include "archive/session_event.h"
#include "proxy/pop3/pop3_session.h"

namespace mailtee::pop3 {

Pop3Proxy::Pop3Proxy(ProxyEnvironment env) : env_(env) {}

std::vector<net::LiveSession> Pop3Proxy::LiveSessions() const {
  return net::SnapshotSessions(sessions_);
}

Pop3Proxy::~Pop3Proxy() {
  // Normally empty (Drain first). Sessions still alive would be freed under
  // libuv's feet, so they are released and left to their close callbacks.
  for (auto& [raw, session] : sessions_) session.release();
  for (auto& [raw, stream] : rejected_) stream.release();
}

void Pop3Proxy::Accept(std::unique_ptr<net::Stream> client) {
  auto session = std::make_unique<Pop3Session>(this, std::move(client));
  Pop3Session* raw = session.get();
  sessions_.emplace(raw, std::move(session));
  raw->Start();
  if (draining_ && sessions_.count(raw)) raw->Drain();
}

void Pop3Proxy::RejectBusy(std::unique_ptr<net::Stream> client, const std::string& reason) {
  net::Stream* raw = client.get();
  net::Stream::Callbacks cb;
  cb.on_closed = [this, raw] {
    rejected_.erase(raw);
    MaybeDrained();
  };
  raw->SetCallbacks(std::move(cb));
  rejected_.emplace(raw, std::move(client));
  raw->Write(BusyReply(reason));
  raw->Close();
}

std::string Pop3Proxy::BusyReply(const std::string& reason) { return "-ERR [SYS/TEMP] " + reason + "\r\n"; }

void Pop3Proxy::LogRefusal(const std::string& client, const std::string& reason, uint64_t more) {
  if (!env_.log) return;
  env_.log->Record(archive::ListenerRefusal(
      "pop3", env_.listener->name, "pop3 listener=" + env_.listener->name + " client=" + (client.empty() ? "-" : client),
      "rejected: " + reason + (more ? " more=" + std::to_string(more) : ""), archive::SessionEvent::Cause::kBusy,
      more));
}

void Pop3Proxy::Drain(std::function<void()> done) {
  draining_ = true;
  drained_ = std::move(done);
  std::vector<Pop3Session*> live;
  for (auto& [raw, session] : sessions_) live.push_back(raw);
  for (Pop3Session* s : live) {
    if (sessions_.count(s)) s->Drain();
  }
  MaybeDrained();
}

void Pop3Proxy::SessionFinished(Pop3Session* session) {
  sessions_.erase(session);
  MaybeDrained();
}

void Pop3Proxy::MaybeDrained() {
  if (draining_ && sessions_.empty() && rejected_.empty() && drained_) {
    auto done = std::move(drained_);
    drained_ = nullptr;
    done();
  }
}

}  // namespace mailtee::pop3
