#include "admin/http/unix_socket.h"

#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <deque>

#include "proxy/net/timer.h"

namespace mailtee::admin {
namespace {

constexpr size_t kReadBuffer = 64 * 1024;
constexpr uint64_t kCloseGraceMs = 5000;

// net::Stream over a uv_pipe_t. The pipe lives in PipeHandles, which libuv's
// close callback frees, so the owner may delete the stream from on_closed.
class PipeStream;

struct PipeHandles {
  uv_pipe_t pipe;
  PipeStream* owner = nullptr;
  char buffer[kReadBuffer];
};

struct PipeWrite {
  uv_write_t req;
  std::string data;
  PipeHandles* handles;
};

class PipeStream final : public net::Stream {
 public:
  explicit PipeStream(uv_loop_t* loop) : grace_(loop) {
    handles_ = new PipeHandles;
    handles_->owner = this;
    uv_pipe_init(loop, &handles_->pipe, 0);
    handles_->pipe.data = handles_;
    peer_.text = "local";
  }
  ~PipeStream() override {
    if (handles_) {  // destroyed before on_closed: detach so libuv never calls into us
      handles_->owner = nullptr;
      if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&handles_->pipe))) {
        uv_close(reinterpret_cast<uv_handle_t*>(&handles_->pipe), OnClosed);
      }
    }
  }
  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&handles_->pipe); }

  void SetCallbacks(Callbacks cb) override {
    cb_ = std::make_shared<Callbacks>(std::move(cb));
    if (!started_) {
      started_ = true;
      ResumeReading();
    }
  }
  void Write(std::string_view bytes) override {
    if (closed_ || bytes.empty()) return;
    auto* w = new PipeWrite;
    w->data.assign(bytes);
    w->handles = handles_;
    w->req.data = w;
    uv_buf_t buf = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
    pending_ += w->data.size();
    int rc = uv_write(&w->req, stream(), &buf, 1, OnWritten);
    if (rc != 0) {
      pending_ -= w->data.size();
      delete w;
      Fail(Status::Error(std::string("write to local admin socket failed: ") + uv_strerror(rc)));
    }
  }
  size_t pending_write_bytes() const override { return pending_; }
  void PauseReading() override {
    paused_ = true;
    if (reading_) {
      uv_read_stop(stream());
      reading_ = false;
    }
  }
  void ResumeReading() override {
    paused_ = false;
    if (!reading_ && !closing_ && !eof_) {
      uv_read_start(stream(), OnAlloc, OnRead);
      reading_ = true;
    }
  }
  void StartTlsServer(SSL_CTX*, std::function<void(const Status&)> done) override {
    done(Status::Error("TLS is not available on the local admin socket"));
  }
  void StartTlsClient(SSL_CTX*, const std::string&, bool, std::function<void(const Status&)> done) override {
    done(Status::Error("TLS is not available on the local admin socket"));
  }
  bool is_tls() const override { return false; }
  std::string tls_description() const override { return ""; }
  void Close() override {
    if (closing_) return;
    closing_ = true;
    if (reading_) {
      uv_read_stop(stream());
      reading_ = false;
    }
    if (pending_ == 0) {
      CloseHandle();
    } else {
      grace_.Start(kCloseGraceMs, [this] { CloseHandle(); });
    }
  }
  bool closing() const override { return closing_; }
  const net::PeerAddress& peer() const override { return peer_; }

 private:
  static void OnAlloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
    auto* handles = static_cast<PipeHandles*>(h->data);
    *buf = uv_buf_init(handles->buffer, sizeof handles->buffer);
  }
  static void OnRead(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
    auto* handles = static_cast<PipeHandles*>(s->data);
    PipeStream* self = handles->owner;
    if (!self || self->closing_) return;
    auto cb = self->cb_;  // keep callbacks alive if replaced meanwhile
    if (nread > 0) {
      if (cb->on_data) cb->on_data(std::string_view(buf->base, static_cast<size_t>(nread)));
    } else if (nread == UV_EOF) {
      self->eof_ = true;
      uv_read_stop(s);
      self->reading_ = false;
      if (cb->on_eof) cb->on_eof();
    } else if (nread < 0) {
      self->Fail(Status::Error(std::string("read from local admin socket failed: ") + uv_strerror(nread)));
    }
  }
  static void OnWritten(uv_write_t* req, int status) {
    auto* w = static_cast<PipeWrite*>(req->data);
    PipeStream* self = w->handles->owner;
    size_t n = w->data.size();
    delete w;
    if (!self) return;
    const bool was_high = self->pending_ >= net::kLowWatermark;
    self->pending_ -= n;
    if (status < 0 && status != UV_ECANCELED) {
      self->Fail(Status::Error(std::string("write to local admin socket failed: ") + uv_strerror(status)));
      return;
    }
    if (self->closing_) {
      if (self->pending_ == 0) self->CloseHandle();
      return;
    }
    if (was_high && self->pending_ < net::kLowWatermark && self->cb_->on_drained) self->cb_->on_drained();
  }
  static void OnClosed(uv_handle_t* h) {
    auto* handles = static_cast<PipeHandles*>(h->data);
    PipeStream* self = handles->owner;
    delete handles;
    if (!self) return;
    self->handles_ = nullptr;
    auto cb = self->cb_;
    if (cb->on_closed) cb->on_closed();  // the owner may delete the stream here
  }
  void Fail(const Status& status) {
    if (failed_ || closing_) return;
    failed_ = true;
    auto cb = cb_;
    if (cb->on_error) cb->on_error(status);
  }
  void CloseHandle() {
    if (closed_) return;
    closed_ = true;
    grace_.Stop();
    uv_close(reinterpret_cast<uv_handle_t*>(&handles_->pipe), OnClosed);
  }

  PipeHandles* handles_;
  std::shared_ptr<Callbacks> cb_ = std::make_shared<Callbacks>();
  net::PeerAddress peer_;
  net::Timer grace_;
  size_t pending_ = 0;
  bool started_ = false, paused_ = false, reading_ = false, eof_ = false;
  bool closing_ = false, closed_ = false, failed_ = false;

  friend class mailtee::admin::UnixListener;
};

}  // namespace

struct UnixListener::Handle {
  uv_pipe_t pipe;
  UnixListener* owner = nullptr;
  uv_loop_t* loop = nullptr;
  AcceptFn on_accept;
  std::function<void()> on_closed;
};

namespace {

void OnListenerClosed(uv_handle_t* h) {
  auto* handle = static_cast<UnixListener::Handle*>(h->data);
  auto done = std::move(handle->on_closed);
  delete handle;
  if (done) done();
}

void OnConnection(uv_stream_t* server, int status) {
  auto* handle = static_cast<UnixListener::Handle*>(server->data);
  if (status < 0 || !handle->owner) return;
  auto stream = std::make_unique<PipeStream>(handle->loop);
  if (uv_accept(server, stream->stream()) != 0) {
    stream->Close();
    // Closing without callbacks set: release once libuv is done with it.
    PipeStream* raw = stream.release();
    net::Stream::Callbacks cb;
    cb.on_closed = [raw] { delete raw; };
    raw->SetCallbacks(std::move(cb));
    return;
  }
  handle->on_accept(std::move(stream));
}

}  // namespace

Status UnixListener::Listen(uv_loop_t* loop, const std::string& path, AcceptFn on_accept,
                            std::unique_ptr<UnixListener>* out) {
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return Status::Error("admin socket path " + path + " exists and is not a socket: remove it");
    }
    ::unlink(path.c_str());
  }
  std::unique_ptr<UnixListener> listener(new UnixListener);
  auto* handle = new Handle;
  handle->owner = listener.get();
  handle->loop = loop;
  handle->on_accept = std::move(on_accept);
  uv_pipe_init(loop, &handle->pipe, 0);
  handle->pipe.data = handle;
  listener->handle_ = handle;
  listener->path_ = path;
  // Owner (the daemon user) and its group: `mailtee status` & co. run as root,
  // as the daemon user, or as a member of its group where the storage folder
  // lets the group in (docs/operator-guide.md). umask keeps others out from the
  // first instant; chmod makes the mode explicit.
  mode_t old_mask = umask(0117);
  int rc = uv_pipe_bind(&handle->pipe, path.c_str());
  umask(old_mask);
  if (rc == 0 && chmod(path.c_str(), 0660) != 0) rc = uv_translate_sys_error(errno);
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(&handle->pipe), 64, OnConnection);
  if (rc != 0) {
    handle->owner = nullptr;
    listener->handle_ = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(&handle->pipe), OnListenerClosed);
    return Status::Error("listen on admin socket " + path + " failed: " + uv_strerror(rc));
  }
  *out = std::move(listener);
  return Status::Ok();
}

UnixListener::~UnixListener() { Close(nullptr); }

void UnixListener::Close(std::function<void()> done) {
  if (!handle_) {
    if (done) done();
    return;
  }
  Handle* h = handle_;
  handle_ = nullptr;
  h->owner = nullptr;
  h->on_closed = std::move(done);
  ::unlink(path_.c_str());
  uv_close(reinterpret_cast<uv_handle_t*>(&h->pipe), OnListenerClosed);
}

}  // namespace mailtee::admin
