// Pop3Proxy: the POP3 side of mailtee for one listener. Owns the sessions of
// that listener; each session relays one client to the listener's provider and
// tees every retrieved message (RETR, and a TOP that returns the whole message)
// into the archive. Everything runs on the loop thread except archive commits,
// which run on libuv's thread pool. See docs/pop3.md for the state table.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "archive/log_book.h"
#include "archive/message_sink.h"
#include "config/config.h"
#include "proxy/net/live_session.h"
#include "proxy/net/stream.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct uv_loop_s uv_loop_t;

namespace mailtee::pop3 {

struct ProxyEnvironment {
  uv_loop_t* loop = nullptr;
  const config::Listener* listener = nullptr;  // protocol pop3; upstream must be set
  SSL_CTX* server_tls = nullptr;    // client-facing TLS (STLS / implicit); null: no TLS offered
  SSL_CTX* upstream_tls = nullptr;  // provider-facing TLS (required when upstream tls != none)
  archive::MessageSink* sink = nullptr;
  archive::LogBook* log = nullptr;  // may be null (tests)
};

class Pop3Session;

class Pop3Proxy {
 public:
  explicit Pop3Proxy(ProxyEnvironment env);
  // Sessions still alive are closed; destroy the proxy only after Drain's done
  // (or after the loop has run their close callbacks).
  ~Pop3Proxy();
  Pop3Proxy(const Pop3Proxy&) = delete;
  Pop3Proxy& operator=(const Pop3Proxy&) = delete;

  // Takes a freshly accepted client connection and starts a session.
  void Accept(std::unique_ptr<net::Stream> client);
  // Over a connection cap: BusyReply(reason) then close; the listener logged
  // the refusal (LogRefusal).
  void RejectBusy(std::unique_ptr<net::Stream> client, const std::string& reason);
  // "-ERR [SYS/TEMP] <reason>\r\n": over a connection cap, or out of file descriptors.
  static std::string BusyReply(const std::string& reason);
  // A connections-log line for a client the listener refused (net::RefusalLog:
  // `more` refusals since the previous line are summed up in this one).
  void LogRefusal(const std::string& client, const std::string& reason, uint64_t more);

  size_t session_count() const { return sessions_.size(); }
  // One entry per session, oldest first (loop thread).
  std::vector<net::LiveSession> LiveSessions() const;
  // Refuses nothing new by itself (the listener stops accepting); asks every
  // session to end once its in-flight responses are done (an idle session ends
  // at once with "-ERR [SYS/TEMP] mailtee is shutting down"), then calls done
  // when the last session and the last archive commit are gone.
  void Drain(std::function<void()> done);

  // Called by a session from its last close callback.
  void SessionFinished(Pop3Session* session);
  const ProxyEnvironment& env() const { return env_; }
  bool draining() const { return draining_; }

 private:
  void MaybeDrained();

  ProxyEnvironment env_;
  std::unordered_map<Pop3Session*, std::unique_ptr<Pop3Session>> sessions_;
  std::unordered_map<net::Stream*, std::unique_ptr<net::Stream>> rejected_;
  bool draining_ = false;
  std::function<void()> drained_;
};

}  // namespace mailtee::pop3
