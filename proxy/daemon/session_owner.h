// SessionOwner: what the daemon needs from a protocol proxy (SMTP, POP3, or the
// "no provider configured" responder). The proxies themselves do not inherit
// from it; ProxyAdapter wraps each one so proxy/smtp and proxy/pop3 stay free of
// daemon types.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <vector>

#include "proxy/net/live_session.h"
#include "proxy/net/stream.h"

namespace mailtee::daemon {

class SessionOwner {
 public:
  virtual ~SessionOwner() = default;
  virtual void Accept(std::unique_ptr<net::Stream> client) = 0;
  virtual void RejectBusy(std::unique_ptr<net::Stream> client, const std::string& reason) = 0;
  // What the listener sends a client it takes on its spare descriptor while
  // out of file descriptors, and how it logs refusals (net::TcpListener).
  virtual std::string BusyReply(const std::string& reason) const = 0;
  virtual void LogRefusal(const std::string& client, const std::string& reason, uint64_t more) = 0;
  virtual size_t session_count() const = 0;
  virtual std::vector<net::LiveSession> live_sessions() const { return {}; }
  virtual void Drain(std::function<void()> done) = 0;
};

template <typename Proxy>
class ProxyAdapter : public SessionOwner {
 public:
  template <typename... A>
  explicit ProxyAdapter(A&&... args) : proxy_(std::forward<A>(args)...) {}
  void Accept(std::unique_ptr<net::Stream> client) override { proxy_.Accept(std::move(client)); }
  void RejectBusy(std::unique_ptr<net::Stream> client, const std::string& reason) override {
    proxy_.RejectBusy(std::move(client), reason);
  }
  std::string BusyReply(const std::string& reason) const override { return Proxy::BusyReply(reason); }
  void LogRefusal(const std::string& client, const std::string& reason, uint64_t more) override {
    proxy_.LogRefusal(client, reason, more);
  }
  size_t session_count() const override { return proxy_.session_count(); }
  std::vector<net::LiveSession> live_sessions() const override { return proxy_.LiveSessions(); }
  void Drain(std::function<void()> done) override { proxy_.Drain(std::move(done)); }

 private:
  Proxy proxy_;
};

}  // namespace mailtee::daemon
