#include "proxy/smtp/smtp_proxy.h"

#include "archive/session_event.h"
#include "proxy/net/discard.h"
#include "proxy/smtp/smtp_session.h"

namespace mailtee::smtp {

SmtpProxy::SmtpProxy(ProxyEnvironment env) : env_(env), reaper_(env.loop) {}

SmtpProxy::~SmtpProxy() = default;

std::vector<net::LiveSession> SmtpProxy::LiveSessions() const {
  return net::SnapshotSessions(sessions_);
}

void SmtpProxy::Accept(std::unique_ptr<net::Stream> client) {
  if (draining_) {
    LogRefusal(client->peer().text, "service shutting down", 0);
    RejectBusy(std::move(client), "service shutting down");
    return;
  }
  auto session = std::make_unique<SmtpSession>(this, env_, std::move(client), next_serial_++);
  SmtpSession* raw = session.get();
  sessions_.emplace(raw, std::move(session));
  raw->Start();
}

void SmtpProxy::RejectBusy(std::unique_ptr<net::Stream> client, const std::string& reason) {
  client->Write(BusyReply(reason));
  net::CloseAndDiscard(std::move(client));  // flushes the 421, deletes itself after on_closed
}

std::string SmtpProxy::BusyReply(const std::string& reason) { return "421 4.7.0 " + reason + "\r\n"; }

void SmtpProxy::LogRefusal(const std::string& client, const std::string& reason, uint64_t more) {
  if (!env_.log) return;
  env_.log->Record(archive::ListenerRefusal("smtp", env_.listener->name, "smtp/" + env_.listener->name,
                                            "reject client=" + (client.empty() ? "-" : client) + " reason=" + reason +
                                                (more ? " more=" + std::to_string(more) : ""),
                                            archive::SessionEvent::Cause::kBusy, more));
}

void SmtpProxy::Drain(std::function<void()> done) {
  draining_ = true;
  drain_done_ = std::move(done);
  // Copy: Drain may finish sessions (they are only deleted later, by Reap).
  std::vector<SmtpSession*> live;
  for (auto& [raw, owned] : sessions_) live.push_back(raw);
  for (SmtpSession* s : live) s->Drain();
  reaper_.Start(0, [this] { Reap(); });
}

void SmtpProxy::SessionFinished(SmtpSession* session) {
  finished_.push_back(session);
  // Deleting from inside the stream's close callback would pull the stream out
  // from under its own caller: delete on the next loop turn instead.
  reaper_.Start(0, [this] { Reap(); });
}

void SmtpProxy::Reap() {
  std::vector<SmtpSession*> finished;
  finished.swap(finished_);
  for (SmtpSession* s : finished) sessions_.erase(s);
  if (draining_ && sessions_.empty() && drain_done_) {
    auto done = std::move(drain_done_);
    drain_done_ = nullptr;
    done();
  }
}

}  // namespace mailtee::smtp
