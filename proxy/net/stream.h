// Stream: one TCP connection with an optional TLS layer, as sessions see it.
//
// Ownership: a session owns its Streams (std::unique_ptr). Close() starts an
// asynchronous close; the stream calls on_closed exactly once, from libuv's close
// callback, and only after that may the owner destroy it. No callback fires
// after on_closed. Destroying a Stream that was never opened is fine.
//
// TLS: StartTlsServer/StartTlsClient swap a TLS layer under the same interface
// (memory BIOs, after Node's TLSWrap). Plaintext already received but not yet
// delivered when the switch happens is DISCARDED (STARTTLS command injection,
// CVE-2011-0411 class) — the caller must stop parsing at the STARTTLS/STLS
// command and call StartTls* before handing more bytes to its parser.
//
// The exact TLS switch rule (both directions):
//  * on_data delivers one socket read at a time. Call StartTls* synchronously
//    from inside the on_data that carried the STARTTLS/STLS command (server) or
//    the "220"/"+OK" reply to it (client). Whatever of that chunk the owner has
//    not parsed yet is the owner's to drop: clear the line reader / parser
//    buffer before returning. The stream never delivers any later plaintext:
//    from the call on, only bytes decrypted by the TLS layer reach on_data.
//  * Writes queued BEFORE StartTls* (e.g. "220 2.0.0 Ready to start TLS") still
//    go out in plaintext, in order, ahead of the handshake; writes made after
//    StartTls* (even before done fires) are encrypted once the handshake is done.
//  * done(error) is followed by nothing else: the owner Close()s the stream.
//    done names the peer and the reason, e.g. "TLS handshake with 127.0.0.1:587
//    failed: certificate verify failed (self-signed certificate)".
//
// Backpressure: Write() always queues (never drops); pending_write_bytes() says
// how much is queued. When it passes kHighWatermark the owner should pause
// reading the *other* side; on_drained fires when it falls below kLowWatermark.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "config/status.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct uv_loop_s uv_loop_t;

namespace mailtee::net {

constexpr size_t kHighWatermark = 1 << 20;  // 1 MiB queued: stop reading the peer
constexpr size_t kLowWatermark = 256 << 10; // resume below 256 KiB

struct PeerAddress {
  int family = 0;            // AF_INET / AF_INET6
  uint8_t bytes[16] = {};    // IPv4 in the first 4
  uint16_t port = 0;
  std::string text;          // "192.0.2.1" / "::1"
};

class Stream {
 public:
  struct Callbacks {
    std::function<void(std::string_view)> on_data;     // decrypted bytes, in order
    std::function<void()> on_drained;                  // queue fell below kLowWatermark
    std::function<void(const Status&)> on_error;       // read/write/TLS error or peer reset; Close() follows by the owner
    std::function<void()> on_eof;                      // peer closed its side cleanly
    std::function<void()> on_closed;                   // handle fully closed: owner may now delete
  };

  virtual ~Stream() = default;

  virtual void SetCallbacks(Callbacks cb) = 0;
  virtual void Write(std::string_view bytes) = 0;
  virtual size_t pending_write_bytes() const = 0;
  virtual void PauseReading() = 0;
  virtual void ResumeReading() = 0;

  // done(Status) after the handshake completes or fails. Data arriving after the
  // handshake is delivered decrypted through on_data.
  virtual void StartTlsServer(SSL_CTX* ctx, std::function<void(const Status&)> done) = 0;
  // verify_host empty: no host-name check (verify="false" also disables chain checks in ctx).
  virtual void StartTlsClient(SSL_CTX* ctx, const std::string& sni_host, bool verify,
                              std::function<void(const Status&)> done) = 0;
  virtual bool is_tls() const = 0;
  virtual std::string tls_description() const = 0;  // "TLSv1.3 TLS_AES_256_GCM_SHA384" or ""

  // Flushes queued writes (best effort, bounded) then closes; on_closed follows.
  virtual void Close() = 0;
  virtual bool closing() const = 0;

  virtual const PeerAddress& peer() const = 0;
};

// Outbound connection: resolves host (uv_getaddrinfo), connects with a timeout,
// sets TCP_NODELAY. done gets the stream (connected, plaintext) or an error that
// names host:port and what failed.
void Connect(uv_loop_t* loop, const std::string& host, uint16_t port, int timeout_seconds,
             std::function<void(Status, std::unique_ptr<Stream>)> done);

}  // namespace mailtee::net
