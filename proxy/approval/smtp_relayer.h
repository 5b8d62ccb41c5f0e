// SmtpRelayer: a small asynchronous SMTP submission client on the event loop,
// used to release approved mail and to send notices. One relay = one
// connection: connect, (implicit TLS | STARTTLS), EHLO, AUTH (PLAIN, else
// LOGIN) with the relay account, MAIL, RCPT..., DATA, the body streamed from
// head + file + tail with dot-stuffing and backpressure, ".", QUIT.
// No pipelining: relays are rare and correctness beats latency here.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/status.h"

typedef struct uv_loop_s uv_loop_t;
typedef struct ssl_ctx_st SSL_CTX;

namespace mailtee::approval {

struct RelayTarget {
  std::string host;
  uint16_t port = 0;
  config::TlsMode tls = config::TlsMode::kNone;
  bool verify = true;
  SSL_CTX* tls_context = nullptr;   // client context (certs::MakeClientContext); required unless tls=none
  std::string user;                 // "" = no AUTH
  std::string password;             // never logged
  std::string helo_name = "mailtee.local";
  int timeout_seconds = 120;
};

struct RelayMessage {
  std::string envelope_from;
  std::vector<std::string> recipients;
  std::string head;                 // bytes before the file (may be the whole message)
  std::string file_path;            // "" = none
  std::string tail;                 // bytes after the file
};

struct RelayResult {
  Status status;                    // ok: the provider accepted the message (250 to the dot)
  int code = 0;                     // the deciding reply's code (0: no reply, e.g. connect failed)
  std::string reply;                // that reply's text (Reply::Text())
  bool permanent = false;           // 5xx: retrying will not help
  std::vector<std::string> refused_recipients;  // RCPTs the provider refused (others were sent)
};

// Starts one relay; done runs exactly once on the loop thread, after the
// connection is closed. The relayer owns itself: nothing to keep or free.
void RelayMessageUpstream(uv_loop_t* loop, const RelayTarget& target, RelayMessage message,
                          std::function<void(const RelayResult&)> done);

}  // namespace mailtee::approval
