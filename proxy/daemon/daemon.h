// Daemon: turns a validated Config into running listeners. It owns, per
// listener, the TCP listener, the upstream TLS context and the protocol proxy
// that owns the sessions. The archive and the log book are owned by the caller
// (admin/cli) and outlive the Daemon.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "archive/log_book.h"
#include "archive/message_sink.h"
#include "config/config.h"
#include "config/status.h"
#include "proxy/net/live_session.h"
#include "proxy/smtp/hold_gate.h"

typedef struct uv_loop_s uv_loop_t;

namespace mailtee::daemon {

struct ListenerInfo {
  std::string name;
  std::string protocol;   // "smtp" | "pop3"
  std::string address;
  uint16_t port = 0;      // the bound port (differs from the config when it said 0)
  bool has_provider = false;
  size_t sessions = 0;
};

// One client session in progress, for `mailtee sessions` / GET /api/sessions.
struct SessionInfo {
  std::string listener;
  std::string protocol;   // "smtp" | "pop3"
  net::LiveSession session;
};

class Daemon {
 public:
  Daemon(uv_loop_t* loop, config::Config config, archive::MessageSink* sink, archive::LogBook* log);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Approval hold (docs/approval.md): every SMTP listener with a provider
  // screens its mail through gate. Set before Start(); the gate must outlive
  // the Daemon (ApprovalRuntime, owned by `mailtee run`). Null: no approval.
  void set_hold_gate(smtp::HoldGate* gate) { hold_gate_ = gate; }

  // Loads TLS material (the configured cert or a self-signed one generated into
  // the storage dir) and opens every listener. On error nothing keeps running
  // and the Status names the listener and the cause.
  Status Start();

  // Graceful stop: closes the listening sockets, lets every proxy drain its
  // sessions (in-flight messages finish), then calls done.
  void Stop(std::function<void()> done);

  std::vector<ListenerInfo> listeners() const;
  // Every live client session, per listener in config order, oldest first.
  std::vector<SessionInfo> sessions() const;

  // Lines the operator should read at start-up (e.g. listeners without a provider).
  const std::vector<std::string>& advice() const { return advice_; }

 private:
  struct Runtime;
  uv_loop_t* loop_;
  config::Config config_;
  archive::MessageSink* sink_;
  archive::LogBook* log_;
  smtp::HoldGate* hold_gate_ = nullptr;
  std::vector<std::unique_ptr<Runtime>> runtimes_;
  std::vector<std::string> advice_;
  struct TlsState;
  std::unique_ptr<TlsState> tls_;
};

}  // namespace mailtee::daemon
