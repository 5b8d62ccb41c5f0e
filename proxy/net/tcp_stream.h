// TcpStream: net::Stream over a libuv TCP handle, with an optional TlsLayer.
//
// Write path: Write() stages bytes; a uv_prepare callback (which runs once per
// loop iteration, just before libuv blocks in poll) encrypts the staged bytes if
// TLS is on and hands everything queued to ONE uv_write (writev). While that
// write is in flight, further writes keep coalescing. So a session that calls
// Write() five times in one callback produces one system call and, with
// TCP_NODELAY, no Nagle delay.
//
// Lifetime (see stream.h): libuv handles live in a separate heap block
// (Handles) freed only by libuv's close callback; the owner may destroy the
// TcpStream only after on_closed. The destructor asserts that; if it is broken
// in a release build the handles are detached and closed so libuv still never
// touches freed memory.
#pragma once

#include <deque>
#include <memory>
#include <string>

#include "proxy/net/stream.h"
#include "proxy/net/timer.h"
#include "proxy/net/tls_layer.h"

typedef struct uv_tcp_s uv_tcp_t;

namespace mailtee::net {

// Bounded time Close() waits for queued writes (and TLS close_notify) to drain.
constexpr uint64_t kCloseGraceMs = 5000;

class TcpStream final : public Stream {
 public:
  // An initialised but unconnected TCP handle; use tcp() for uv_accept /
  // uv_tcp_connect, then MarkConnected().
  explicit TcpStream(uv_loop_t* loop);
  ~TcpStream() override;

  uv_tcp_t* tcp();
  // Sets TCP_NODELAY and reads the peer address. label is how errors name the
  // peer ("smtp.example.org:587"); empty means "<peer ip>:<port>".
  void MarkConnected(const std::string& label = "");
  // Runs once, when the socket is closed (its handles are released) or the
  // stream is destroyed, whichever comes first: the listener's per-IP slot is
  // released this way. Not later: a client that reconnects right after QUIT
  // must not find its previous, already closed connection still counted while
  // the owner finishes its bookkeeping.
  void set_on_released(std::function<void()> fn) { on_released_ = std::move(fn); }
  const std::string& label() const { return label_; }

  // Stream
  void SetCallbacks(Callbacks cb) override;
  void Write(std::string_view bytes) override;
  size_t pending_write_bytes() const override;
  void PauseReading() override;
  void ResumeReading() override;
  void StartTlsServer(SSL_CTX* ctx, std::function<void(const Status&)> done) override;
  void StartTlsClient(SSL_CTX* ctx, const std::string& sni_host, bool verify,
                      std::function<void(const Status&)> done) override;
  bool is_tls() const override { return tls_ != nullptr; }
  std::string tls_description() const override { return tls_ ? tls_->Description() : ""; }
  void Close() override;
  bool closing() const override { return state_ != State::kOpen; }
  const PeerAddress& peer() const override { return peer_; }

  struct Handles;  // libuv-owned block; public only for the C callbacks

 private:
  enum class State { kOpen, kClosing, kClosed };

  void StartTls(SSL_CTX* ctx, TlsLayer::Role role, const std::string& sni_host, bool verify,
                std::function<void(const Status&)> done);
  void UpdateReading();
  void SchedulePrepare();
  void OnPrepare();
  void OnRead(const char* data, long nread);
  void DeliverEof();
  void OnShutdownDone();
  void OnTlsCiphertext(const char* data, size_t len);
  void DrainTlsPlaintext();
  void FinishHandshake(const Status& status);
  void EncryptStaged();
  void CollectTlsOutput();
  void QueueForSocket(std::string_view bytes);
  void StartWrite();
  void OnWriteDone(int status, size_t written);
  void Fail(const Status& status);
  void ContinueClose();
  void CloseHandles();
  void OnHandlesClosed();

  Handles* handles_ = nullptr;
  // shared_ptr so a callback may call SetCallbacks (replacing them) while it runs.
  std::shared_ptr<Callbacks> cb_ = std::make_shared<Callbacks>();
  uv_loop_t* loop_;
  State state_ = State::kOpen;
  bool connected_ = false;
  bool callbacks_set_ = false;
  bool paused_ = false;
  bool reading_ = false;
  bool eof_ = false;
  bool failed_ = false;       // on_error delivered: no more data callbacks
  bool shutdown_sent_ = false;
  bool eof_delivered_ = false;
  PeerAddress peer_;
  std::string label_;

  // Outbound bytes: staged_ is plaintext waiting for the TLS layer (TLS mode
  // only); socket_queue_ holds bytes ready for the socket; Handles keeps what
  // libuv is writing now.
  std::string staged_;
  std::deque<std::string> socket_queue_;
  size_t socket_queue_bytes_ = 0;

  std::unique_ptr<TlsLayer> tls_;
  std::function<void(const Status&)> tls_done_;
  bool tls_read_pending_ = false;  // plaintext may be waiting inside SSL (paused)
  Status deferred_tls_error_;      // setup error, reported from the next prepare

  std::unique_ptr<Timer> grace_timer_;
  std::function<void()> on_released_;
  void RunOnReleased();
};

}  // namespace mailtee::net
