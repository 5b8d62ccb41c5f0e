#include "proxy/net/tcp_stream.h"

#include <uv.h>

#include <csignal>
#include <cassert>
#include <mutex>
#include <vector>

#include "proxy/net/peer_address.h"
#include "proxy/net/uv_error.h"

namespace mailtee::net {

namespace {

constexpr size_t kReadBufferSize = 64 << 10;
constexpr size_t kCoalesceLimit = 64 << 10;  // small writes merge into chunks up to this
constexpr size_t kMaxBuffersPerWrite = 64;

// One read buffer per thread: libuv calls alloc → read(2) → read callback back to
// back, and every consumer processes (or copies) the bytes before returning.
char* ReadBuffer() {
  thread_local std::unique_ptr<char[]> buffer(new char[kReadBufferSize]);
  return buffer.get();
}

// Separate buffer for decrypted records: the read buffer may still hold the
// ciphertext being processed.
char* PlaintextBuffer() {
  thread_local std::unique_ptr<char[]> buffer(new char[kReadBufferSize]);
  return buffer.get();
}

}  // namespace

// Everything libuv may still touch after the owner lets go. Freed by the last
// close callback; owner is null once the TcpStream is gone.
struct TcpStream::Handles {
  uv_tcp_t tcp;
  uv_prepare_t prepare;
  uv_write_t write_req;
  uv_shutdown_t shutdown_req;
  TcpStream* owner = nullptr;
  std::vector<std::string> in_flight;  // buffers libuv is writing now
  size_t in_flight_bytes = 0;
  bool writing = false;
  bool closing = false;
  int open_handles = 2;

  static Handles* From(uv_handle_t* h) { return static_cast<Handles*>(h->data); }

  void StartClose() {
    if (closing) return;
    closing = true;
    auto on_close = [](uv_handle_t* h) {
      Handles* self = From(h);
      if (--self->open_handles > 0) return;
      TcpStream* stream = self->owner;
      delete self;
      if (stream) stream->OnHandlesClosed();
    };
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp), on_close);
    uv_close(reinterpret_cast<uv_handle_t*>(&prepare), on_close);
  }
};

TcpStream::TcpStream(uv_loop_t* loop) : loop_(loop) {
  // libuv writes with writev(), so a peer reset would raise SIGPIPE and kill the
  // whole proxy. Every network program ignores it; doing it here means no
  // caller (daemon, tests, benches) can forget.
  static std::once_flag ignore_sigpipe;
  std::call_once(ignore_sigpipe, [] { std::signal(SIGPIPE, SIG_IGN); });
  handles_ = new Handles;
  handles_->owner = this;
  uv_tcp_init(loop, &handles_->tcp);
  uv_prepare_init(loop, &handles_->prepare);
  handles_->tcp.data = handles_;
  handles_->prepare.data = handles_;
  handles_->write_req.data = handles_;
  handles_->shutdown_req.data = handles_;
}

TcpStream::~TcpStream() {
  // Contract (stream.h): a connected stream is destroyed only after on_closed.
  assert((!connected_ || handles_ == nullptr) && "TcpStream destroyed before on_closed");
  if (handles_) {
    handles_->owner = nullptr;  // libuv's callbacks now find nobody to call
    handles_->StartClose();
  }
  RunOnReleased();
}

void TcpStream::RunOnReleased() {
  if (!on_released_) return;
  auto release = std::move(on_released_);
  on_released_ = nullptr;
  release();
}

uv_tcp_t* TcpStream::tcp() { return &handles_->tcp; }

void TcpStream::MarkConnected(const std::string& label) {
  connected_ = true;
  uv_tcp_nodelay(&handles_->tcp, 1);
  sockaddr_storage addr{};
  int len = sizeof(addr);
  if (uv_tcp_getpeername(&handles_->tcp, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    peer_ = PeerAddressFromSockaddr(reinterpret_cast<sockaddr*>(&addr));
  }
  label_ = label.empty() ? HostPort(peer_.text, peer_.port) : label;
}

void TcpStream::SetCallbacks(Callbacks cb) {
  cb_ = std::make_shared<Callbacks>(std::move(cb));
  callbacks_set_ = true;
  UpdateReading();
}

// ---- reading --------------------------------------------------------------------

void TcpStream::UpdateReading() {
  if (!handles_ || handles_->closing || !connected_) return;
  // While closing we keep reading and discard, so unread input does not turn
  // our close into a reset that could destroy the last reply in flight.
  const bool want = !eof_ && !failed_ &&
                    (state_ == State::kClosing ||
                     (state_ == State::kOpen && callbacks_set_ && !paused_));
  auto* stream = reinterpret_cast<uv_stream_t*>(&handles_->tcp);
  if (want && !reading_) {
    int rc = uv_read_start(
        stream,
        [](uv_handle_t*, size_t, uv_buf_t* buf) {
          buf->base = ReadBuffer();
          buf->len = kReadBufferSize;
        },
        [](uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
          Handles* h = Handles::From(reinterpret_cast<uv_handle_t*>(s));
          if (h->owner) h->owner->OnRead(buf->base, static_cast<long>(nread));
        });
    if (rc != 0) {
      Fail(UvError("cannot read from " + label_, rc));
      return;
    }
    reading_ = true;
  } else if (!want && reading_) {
    uv_read_stop(stream);
    reading_ = false;
  }
}

void TcpStream::PauseReading() {
  paused_ = true;
  UpdateReading();
}

void TcpStream::ResumeReading() {
  paused_ = false;
  if (tls_read_pending_) SchedulePrepare();  // decrypted data may wait inside SSL
  UpdateReading();
}

void TcpStream::OnRead(const char* data, long nread) {
  if (nread == 0) return;
  if (nread < 0) {
    reading_ = false;
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&handles_->tcp));
  }
  if (state_ != State::kOpen || failed_) {  // closing: discard input
    if (nread < 0) eof_ = true;
    return;
  }
  if (nread == UV_EOF) {
    eof_ = true;
    if (tls_ && !tls_->handshake_done()) {
      FinishHandshake(Status::Error("TLS handshake with " + label_ +
                                    " failed: peer closed the connection during the handshake"));
      return;
    }
    if (tls_read_pending_) return;  // on_eof after the buffered plaintext
    DeliverEof();
    return;
  }
  if (nread < 0) {
    Fail(UvError("read from " + label_ + " failed", static_cast<int>(nread)));
    return;
  }
  if (tls_) {
    OnTlsCiphertext(data, static_cast<size_t>(nread));
    return;
  }
  auto keep = cb_;
  if (keep->on_data) keep->on_data(std::string_view(data, static_cast<size_t>(nread)));
}

void TcpStream::DeliverEof() {
  if (eof_delivered_) return;
  eof_delivered_ = true;
  auto keep = cb_;
  if (keep->on_eof) keep->on_eof();
}

void TcpStream::Fail(const Status& status) {
  if (failed_ || state_ != State::kOpen) return;
  if (tls_ && tls_done_) {  // an error during the handshake is the handshake's result
    FinishHandshake(Status::Error("TLS handshake with " + label_ + " failed: " + status.message()));
    return;
  }
  failed_ = true;
  UpdateReading();
  auto keep = cb_;
  if (keep->on_error) keep->on_error(status);
}

// ---- TLS ------------------------------------------------------------------------

void TcpStream::StartTlsServer(SSL_CTX* ctx, std::function<void(const Status&)> done) {
  StartTls(ctx, TlsLayer::Role::kServer, "", false, std::move(done));
}

void TcpStream::StartTlsClient(SSL_CTX* ctx, const std::string& sni_host, bool verify,
                               std::function<void(const Status&)> done) {
  StartTls(ctx, TlsLayer::Role::kClient, sni_host, verify, std::move(done));
}

void TcpStream::StartTls(SSL_CTX* ctx, TlsLayer::Role role, const std::string& sni_host,
                         bool verify, std::function<void(const Status&)> done) {
  if (state_ != State::kOpen) return;  // no callbacks after Close()
  tls_done_ = std::move(done);
  if (tls_ || failed_) {
    deferred_tls_error_ = Status::Error("cannot start TLS with " + label_ + ": " +
                                        (tls_ ? "TLS is already active" : "connection failed"));
    SchedulePrepare();
    return;
  }
  // From here on nothing but decrypted bytes reaches on_data. Plaintext of the
  // current read that the owner has not parsed stays the owner's to drop
  // (stream.h); the stream itself holds no undelivered plaintext. Bytes queued
  // for writing so far are already in socket_queue_ and go out in clear, first.
  Status s = TlsLayer::Create(ctx, role, sni_host, verify, &tls_);
  if (!s.ok()) {
    tls_.reset();
    failed_ = true;  // never fall back to reading plaintext
    UpdateReading();
    deferred_tls_error_ = Status::Error("cannot start TLS with " + label_ + ": " + s.message());
    SchedulePrepare();
    return;
  }
  if (role == TlsLayer::Role::kClient) {
    bool finished = false;
    Status hs = tls_->Handshake(&finished);  // writes the ClientHello
    CollectTlsOutput();
    if (!hs.ok()) {
      failed_ = true;
      UpdateReading();
      deferred_tls_error_ = Status::Error("TLS handshake with " + label_ + " failed: " + hs.message());
      SchedulePrepare();
      return;
    }
  }
  UpdateReading();
}

void TcpStream::OnTlsCiphertext(const char* data, size_t len) {
  tls_->FeedCiphertext(std::string_view(data, len));
  if (!tls_->handshake_done()) {
    bool finished = false;
    Status s = tls_->Handshake(&finished);
    CollectTlsOutput();  // handshake messages, or the alert that explains a failure
    if (!s.ok()) {
      FinishHandshake(Status::Error("TLS handshake with " + label_ + " failed: " + s.message()));
      return;
    }
    if (!finished) return;
    FinishHandshake(Status::Ok());
    if (state_ != State::kOpen || failed_) return;
    EncryptStaged();  // writes made while the handshake ran
  }
  DrainTlsPlaintext();
}

void TcpStream::FinishHandshake(const Status& status) {
  auto done = std::move(tls_done_);
  tls_done_ = nullptr;
  if (!status.ok()) {
    failed_ = true;
    staged_.clear();  // plaintext that can no longer be encrypted
    UpdateReading();
  }
  if (done) done(status);
}

void TcpStream::DrainTlsPlaintext() {
  tls_read_pending_ = false;
  char* buf = PlaintextBuffer();
  while (state_ == State::kOpen && !failed_) {
    if (paused_) {
      tls_read_pending_ = true;  // ResumeReading continues from here
      return;
    }
    Status error;
    int n = tls_->ReadPlaintext(buf, kReadBufferSize, &error);
    CollectTlsOutput();  // post-handshake messages (tickets, key updates)
    if (n > 0) {
      auto keep = cb_;
      if (keep->on_data) keep->on_data(std::string_view(buf, static_cast<size_t>(n)));
      continue;
    }
    if (n == 0) {
      if (eof_) DeliverEof();
      return;
    }
    if (n == -1) {  // close_notify from the peer
      eof_ = true;
      UpdateReading();
      DeliverEof();
      return;
    }
    Fail(Status::Error("TLS error on the connection with " + label_ + ": " + error.message()));
    return;
  }
}

void TcpStream::EncryptStaged() {
  if (!tls_ || !tls_->handshake_done() || staged_.empty()) return;
  Status s = tls_->Encrypt(staged_);
  if (staged_.capacity() > kCoalesceLimit) {
    std::string().swap(staged_);  // give a large burst's memory back
  } else {
    staged_.clear();
  }
  CollectTlsOutput();
  if (!s.ok()) Fail(Status::Error("TLS error on the connection with " + label_ + ": " + s.message()));
}

void TcpStream::CollectTlsOutput() {
  if (!tls_ || tls_->pending_ciphertext() == 0) return;
  std::string out;
  tls_->TakeCiphertext(&out);
  QueueForSocket(out);
}

// ---- writing --------------------------------------------------------------------

size_t TcpStream::pending_write_bytes() const {
  return staged_.size() + socket_queue_bytes_ + (handles_ ? handles_->in_flight_bytes : 0);
}

void TcpStream::Write(std::string_view bytes) {
  if (state_ != State::kOpen || failed_ || bytes.empty()) return;
  if (tls_) {
    staged_.append(bytes);  // encrypted at the next prepare, in one batch
  } else {
    QueueForSocket(bytes);
  }
  SchedulePrepare();
}

void TcpStream::QueueForSocket(std::string_view bytes) {
  if (bytes.empty()) return;
  if (!socket_queue_.empty() && socket_queue_.back().size() + bytes.size() <= kCoalesceLimit) {
    socket_queue_.back().append(bytes);
  } else {
    socket_queue_.emplace_back(bytes);
  }
  socket_queue_bytes_ += bytes.size();
  SchedulePrepare();
}

void TcpStream::SchedulePrepare() {
  if (!handles_ || handles_->closing) return;
  uv_prepare_start(&handles_->prepare, [](uv_prepare_t* p) {
    Handles* h = Handles::From(reinterpret_cast<uv_handle_t*>(p));
    uv_prepare_stop(p);
    if (h->owner) h->owner->OnPrepare();
  });
}

// Runs once per loop iteration before libuv blocks: the batching point.
void TcpStream::OnPrepare() {
  if (!deferred_tls_error_.ok() && state_ == State::kOpen) {
    Status error = deferred_tls_error_;
    deferred_tls_error_ = Status::Ok();
    FinishHandshake(error);
    return;
  }
  if (state_ == State::kOpen && !failed_) {
    if (tls_read_pending_ && !paused_) DrainTlsPlaintext();
    EncryptStaged();
  }
  StartWrite();
}

void TcpStream::StartWrite() {
  if (!handles_ || handles_->closing || handles_->writing || socket_queue_.empty() || !connected_) {
    return;
  }
  Handles* h = handles_;
  while (!socket_queue_.empty() && h->in_flight.size() < kMaxBuffersPerWrite) {
    h->in_flight.push_back(std::move(socket_queue_.front()));
    socket_queue_.pop_front();
    h->in_flight_bytes += h->in_flight.back().size();
    socket_queue_bytes_ -= h->in_flight.back().size();
  }
  // Pointers only once the vector is final: moving a short (SSO) string moves its bytes.
  std::vector<uv_buf_t> bufs;
  bufs.reserve(h->in_flight.size());
  for (std::string& chunk : h->in_flight) {
    bufs.push_back(uv_buf_init(chunk.data(), static_cast<unsigned>(chunk.size())));
  }
  // Fast path for an open stream with little queued (every SMTP/POP3 reply and
  // command): write now, without a write request. A uv_write completes a loop
  // iteration later, and libuv 1.44 then re-arms the epoll watcher with an
  // EPOLL_CTL_MOD even though nothing changed (strace: ~18 per relayed
  // message). Nothing is called back from here (the low watermark cannot be
  // crossed from below it), so no caller sees its own callbacks re-entered.
  const size_t total = h->in_flight_bytes;
  if (state_ == State::kOpen && !failed_ && total + socket_queue_bytes_ < kLowWatermark) {
    int n = uv_try_write(reinterpret_cast<uv_stream_t*>(&h->tcp), bufs.data(), static_cast<unsigned>(bufs.size()));
    if (n == static_cast<int>(total)) {
      h->in_flight.clear();
      h->in_flight_bytes = 0;
      StartWrite();  // whatever is left in the queue
      return;
    }
    if (n > 0) {  // the rest goes the usual way; in_flight_bytes still counts all of it
      size_t skip = static_cast<size_t>(n);
      size_t first = 0;
      while (skip >= bufs[first].len) skip -= bufs[first++].len;
      bufs.erase(bufs.begin(), bufs.begin() + static_cast<std::ptrdiff_t>(first));
      bufs[0].base += skip;
      bufs[0].len -= static_cast<unsigned>(skip);
    }
    // EAGAIN, or an error that uv_write below reports the usual way.
  }
  h->writing = true;
  int rc = uv_write(&h->write_req, reinterpret_cast<uv_stream_t*>(&h->tcp), bufs.data(),
                    static_cast<unsigned>(bufs.size()), [](uv_write_t* req, int status) {
                      Handles* self = static_cast<Handles*>(req->data);
                      const size_t written = self->in_flight_bytes;
                      self->writing = false;
                      self->in_flight.clear();
                      self->in_flight_bytes = 0;
                      if (self->owner) self->owner->OnWriteDone(status, written);
                    });
  if (rc != 0) {
    h->writing = false;
    h->in_flight.clear();
    h->in_flight_bytes = 0;
    OnWriteDone(rc, 0);
  }
}

void TcpStream::OnWriteDone(int status, size_t written) {
  if (status == UV_ECANCELED) return;  // handle is closing
  if (status < 0) {
    socket_queue_.clear();  // the connection cannot carry them any more
    socket_queue_bytes_ = 0;
    staged_.clear();
    if (state_ == State::kClosing) {
      CloseHandles();
    } else {
      Fail(UvError("write to " + label_ + " failed", status));
    }
    return;
  }
  const size_t before = pending_write_bytes() + written;
  StartWrite();
  if (state_ == State::kClosing) {
    ContinueClose();
    return;
  }
  if (state_ == State::kOpen && !failed_ && before >= kLowWatermark &&
      pending_write_bytes() < kLowWatermark) {
    auto keep = cb_;
    if (keep->on_drained) keep->on_drained();
  }
}

// ---- closing --------------------------------------------------------------------

void TcpStream::Close() {
  if (state_ != State::kOpen) return;
  state_ = State::kClosing;
  tls_done_ = nullptr;  // after Close only on_closed fires
  if (!handles_) return;
  if (!connected_) {  // nothing to flush
    CloseHandles();
    return;
  }
  // A failed stream still flushes: its queue may hold the TLS alert that tells
  // the peer why the handshake failed.
  if (tls_ && tls_->handshake_done() && !failed_) {
    EncryptStaged();
    tls_->Shutdown();  // close_notify
    CollectTlsOutput();
  }
  staged_.clear();
  UpdateReading();
  grace_timer_ = std::make_unique<Timer>(loop_);
  grace_timer_->Start(kCloseGraceMs, [this] { CloseHandles(); });
  ContinueClose();
}

void TcpStream::ContinueClose() {
  if (state_ != State::kClosing || !handles_ || handles_->closing) return;
  if (!socket_queue_.empty() || handles_->writing) {
    StartWrite();
    return;
  }
  if (shutdown_sent_) return;
  shutdown_sent_ = true;
  int rc = uv_shutdown(&handles_->shutdown_req, reinterpret_cast<uv_stream_t*>(&handles_->tcp),
                       [](uv_shutdown_t* req, int status) {
                         Handles* h = static_cast<Handles*>(req->data);
                         if (h->owner && status != UV_ECANCELED) h->owner->OnShutdownDone();
                       });
  if (rc != 0) CloseHandles();
}

void TcpStream::OnShutdownDone() { CloseHandles(); }

void TcpStream::CloseHandles() {
  if (!handles_ || handles_->closing) return;
  if (state_ == State::kOpen) state_ = State::kClosing;
  grace_timer_.reset();
  handles_->StartClose();
}

void TcpStream::OnHandlesClosed() {
  handles_ = nullptr;
  state_ = State::kClosed;
  socket_queue_.clear();
  socket_queue_bytes_ = 0;
  staged_.clear();
  tls_done_ = nullptr;
  RunOnReleased();
  auto keep = std::move(cb_);
  cb_ = std::make_shared<Callbacks>();
  if (keep->on_closed) keep->on_closed();  // the owner may delete *this here
}

}  // namespace mailtee::net
