// NoProviderResponder: serves a listener whose config has no <upstream> (the
// embedded default). Each client gets one protocol-correct refusal that says
// what the admin must configure, then the connection closes — so a user who
// points a mail client at a fresh install sees a useful error, not a timeout.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "archive/log_book.h"
#include "config/config.h"
#include "proxy/daemon/session_owner.h"

namespace mailtee::daemon {

class NoProviderResponder : public SessionOwner {
 public:
  // server_tls: used for the handshake on implicit-TLS listeners (may be null otherwise).
  NoProviderResponder(const config::Listener* listener, SSL_CTX* server_tls, archive::LogBook* log);
  ~NoProviderResponder() override;

  void Accept(std::unique_ptr<net::Stream> client) override;
  void RejectBusy(std::unique_ptr<net::Stream> client, const std::string& reason) override;
  std::string BusyReply(const std::string& reason) const override;
  void LogRefusal(const std::string& client, const std::string& reason, uint64_t more) override;
  size_t session_count() const override { return streams_.size(); }
  void Drain(std::function<void()> done) override;

  // The refusal line for this listener's protocol (CRLF included).
  std::string RefusalLine() const;

 private:
  void Respond(std::unique_ptr<net::Stream> client, const std::string& line);
  void MaybeFinishDrain();

  const config::Listener* listener_;
  SSL_CTX* server_tls_;
  archive::LogBook* log_;
  std::map<net::Stream*, std::unique_ptr<net::Stream>> streams_;
  std::function<void()> drain_done_;
};

}  // namespace mailtee::daemon
