// SmtpProxy: the SMTP submission proxy of one listener. It owns every session
// (SmtpSession, smtp_session.h) and deletes each one only after both of its
// streams have closed and no archive work is outstanding (deferred deletion,
// never from inside a stream callback). See docs/smtp.md.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "archive/log_book.h"
#include "archive/message_sink.h"
#include "config/config.h"
#include "proxy/net/live_session.h"
#include "proxy/net/stream.h"
#include "proxy/net/timer.h"
#include "proxy/smtp/hold_gate.h"

typedef struct uv_loop_s uv_loop_t;
typedef struct ssl_ctx_st SSL_CTX;

namespace mailtee::smtp {

struct ProxyEnvironment {
  uv_loop_t* loop = nullptr;
  const config::Listener* listener = nullptr;
  SSL_CTX* server_tls = nullptr;    // STARTTLS / implicit TLS towards clients (null if listener tls=none)
  SSL_CTX* upstream_tls = nullptr;  // client context for the provider (verify per listener.upstream)
  archive::MessageSink* sink = nullptr;
  archive::LogBook* log = nullptr;  // may be null (tests)
  // <logs transcripts="true"/>: every protocol line to LogKind::kTranscript
  // (never bodies, credentials masked; proxy/smtp/transcript.h).
  bool transcripts = false;
  // Approval hold (proxy/smtp/hold_gate.h): null when the listener has no
  // approval; otherwise owned by the daemon and outlives every session.
  HoldGate* hold_gate = nullptr;
};

class SmtpSession;

class SmtpProxy {
 public:
  explicit SmtpProxy(ProxyEnvironment env);
  ~SmtpProxy();
  SmtpProxy(const SmtpProxy&) = delete;
  SmtpProxy& operator=(const SmtpProxy&) = delete;

  // Takes a freshly accepted client; implicit TLS handshake first when listener tls=implicit.
  void Accept(std::unique_ptr<net::Stream> client);
  // Writes BusyReply(reason) and closes; the listener logged the refusal (LogRefusal).
  void RejectBusy(std::unique_ptr<net::Stream> client, const std::string& reason);
  // "421 4.7.0 <reason>\r\n": over a connection cap, or out of file descriptors.
  static std::string BusyReply(const std::string& reason);
  // A connections-log line for a client the listener refused (net::RefusalLog:
  // `more` refusals since the previous line are summed up in this one).
  void LogRefusal(const std::string& client, const std::string& reason, uint64_t more);
  size_t session_count() const { return sessions_.size(); }
  // One entry per session, oldest first (loop thread).
  std::vector<net::LiveSession> LiveSessions() const;
  // Graceful stop: no new sessions or transactions; in-flight transactions
  // finish; idle clients get 421; done runs once every session has closed.
  void Drain(std::function<void()> done);
  bool draining() const { return draining_; }

  // Called by a session when it may be deleted (both streams closed, no work pending).
  void SessionFinished(SmtpSession* session);

 private:
  void Reap();
  ProxyEnvironment env_;
  std::map<SmtpSession*, std::unique_ptr<SmtpSession>> sessions_;
  std::vector<SmtpSession*> finished_;
  net::Timer reaper_;
  bool draining_ = false;
  std::function<void()> drain_done_;
  uint64_t next_serial_ = 1;
};

}  // namespace mailtee::smtp
