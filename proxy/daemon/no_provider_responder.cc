#include "proxy/daemon/no_provider_responder.h"

#include "archive/session_event.h"
#include "proxy/pop3/pop3_proxy.h"
#include "proxy/smtp/smtp_proxy.h"

namespace mailtee::daemon {

NoProviderResponder::NoProviderResponder(const config::Listener* listener, SSL_CTX* server_tls,
                                         archive::LogBook* log)
    : listener_(listener), server_tls_(server_tls), log_(log) {}

NoProviderResponder::~NoProviderResponder() = default;

std::string NoProviderResponder::RefusalLine() const {
  const std::string what = "mailtee listener '" + listener_->name +
                           "' has no provider configured; the administrator must add "
                           "<upstream host=... port=...> to it";
  if (listener_->protocol == config::Protocol::kPop3) return "-ERR [SYS/PERM] " + what + "\r\n";
  return "421 4.3.5 " + what + "\r\n";
}

void NoProviderResponder::Accept(std::unique_ptr<net::Stream> client) {
  log_->Record(archive::ListenerRefusal("", listener_->name, "listener=" + listener_->name,
                                       "client=" + client->peer().text + " refused: no provider configured",
                                       archive::SessionEvent::Cause::kNoProvider));
  Respond(std::move(client), RefusalLine());
}

void NoProviderResponder::RejectBusy(std::unique_ptr<net::Stream> client, const std::string& reason) {
  Respond(std::move(client), BusyReply(reason));  // the listener logged it (LogRefusal)
}

std::string NoProviderResponder::BusyReply(const std::string& reason) const {
  if (listener_->protocol == config::Protocol::kPop3) return pop3::Pop3Proxy::BusyReply(reason);
  return smtp::SmtpProxy::BusyReply(reason);
}

void NoProviderResponder::LogRefusal(const std::string& client, const std::string& reason, uint64_t more) {
  log_->Record(archive::ListenerRefusal("", listener_->name, "listener=" + listener_->name,
                                       "client=" + (client.empty() ? "-" : client) + " rejected: " + reason +
                                           (more ? " more=" + std::to_string(more) : ""),
                                       archive::SessionEvent::Cause::kBusy, more));
}

void NoProviderResponder::Respond(std::unique_ptr<net::Stream> client, const std::string& line) {
  net::Stream* raw = client.get();
  streams_[raw] = std::move(client);
  net::Stream::Callbacks cb;
  cb.on_data = [](std::string_view) {};
  cb.on_error = [raw](const Status&) { raw->Close(); };
  cb.on_eof = [raw] { raw->Close(); };
  cb.on_closed = [this, raw] {
    streams_.erase(raw);
    MaybeFinishDrain();
  };
  raw->SetCallbacks(std::move(cb));
  if (listener_->tls == config::TlsMode::kImplicit && server_tls_ != nullptr) {
    // The client expects a handshake first; only then can it read the refusal.
    raw->StartTlsServer(server_tls_, [raw, line](const Status& status) {
      if (status.ok()) raw->Write(line);
      raw->Close();
    });
    return;
  }
  raw->Write(line);
  raw->Close();
}

void NoProviderResponder::Drain(std::function<void()> done) {
  drain_done_ = std::move(done);
  MaybeFinishDrain();
}

void NoProviderResponder::MaybeFinishDrain() {
  if (drain_done_ && streams_.empty()) {
    auto done = std::move(drain_done_);
    drain_done_ = nullptr;
    done();
  }
}

}  // namespace mailtee::daemon
