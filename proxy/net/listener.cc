// TcpListener over a listening socket polled by libuv (uv_poll_t), with the
// per-IP and listener-wide connection caps and the spare-descriptor trick.
//
// Why not uv_listen: libuv's accept loop handles EMFILE itself (it silently
// accepts and closes every waiting client, or, once its own spare is gone,
// spins calling back with an error), so the owner can neither log the refusal
// nor answer the client nor back off. Here accept4() is ours; each accepted
// descriptor is handed to a TcpStream with uv_tcp_open.
#include "proxy/net/listener.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <cstring>
#include <unordered_map>

#include "proxy/net/discard.h"
#include "proxy/net/peer_address.h"
#include "proxy/net/tcp_stream.h"
#include "proxy/net/timer.h"
#include "proxy/net/uv_error.h"

namespace mailtee::net {

namespace {

constexpr int kBacklog = 511;
// Accepts per readable event, so one busy listener cannot starve the loop.
constexpr int kAcceptsPerEvent = 64;

// Live streams per cap key and in all; shared with each accepted stream's
// release hook so a stream outliving the listener still releases its slot safely.
struct Counts {
  std::unordered_map<std::string, int> by_key;
  int total = 0;
};

int OpenSpareDescriptor() { return open("/dev/null", O_RDONLY | O_CLOEXEC); }

class TcpListenerImpl final : public TcpListener {
 public:
  // The poll handle and the listening socket; freed by libuv's close callback.
  struct Handle {
    uv_poll_t poll;
    int fd = -1;
    TcpListenerImpl* owner = nullptr;
    std::function<void()> close_done;
    bool closing = false;
  };

  TcpListenerImpl(uv_loop_t* loop, int cap, AcceptFn on_accept)
      : loop_(loop), cap_(cap), on_accept_(std::move(on_accept)), backoff_(loop), refusals_(loop) {}

  ~TcpListenerImpl() override {
    *alive_ = false;
    refusals_.set_write(nullptr, 0);  // whoever logs for us may be gone already
    if (spare_fd_ >= 0) close(spare_fd_);
    if (!handle_) return;  // never opened, or Close() already finished
    handle_->owner = nullptr;
    StartClose(nullptr);
  }

  Status Bind(const std::string& address, uint16_t port) {
    sockaddr_storage addr{};
    const bool v6 = address.find(':') != std::string::npos;
    int rc = v6 ? uv_ip6_addr(address.c_str(), port, reinterpret_cast<sockaddr_in6*>(&addr))
                : uv_ip4_addr(address.c_str(), port, reinterpret_cast<sockaddr_in*>(&addr));
    const std::string where = HostPort(address, port);
    if (rc != 0) {
      return Status::Error("listen on " + where + " failed: \"" + address +
                           "\" is not an IPv4 or IPv6 address literal");
    }
    // Like libuv's TCP bind: SO_REUSEADDR, and "::" is dual-stack (IPV6_V6ONLY
    // left at the system default, off on Linux).
    int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return UvError("listen on " + where + " failed", -errno);
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    socklen_t addr_len = v6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), addr_len) != 0 || listen(fd, kBacklog) != 0) {
      int err = errno;
      close(fd);
      return UvError("listen on " + where + " failed", -err);
    }
    handle_ = new Handle;
    handle_->fd = fd;
    handle_->owner = this;
    handle_->poll.data = handle_;
    rc = uv_poll_init_socket(loop_, &handle_->poll, fd);
    if (rc != 0) {
      close(fd);
      delete handle_;
      handle_ = nullptr;
      return UvError("listen on " + where + " failed", rc);
    }
    spare_fd_ = OpenSpareDescriptor();
    StartPolling();
    sockaddr_storage bound{};
    socklen_t len = sizeof(bound);
    getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
    port_ = PeerAddressFromSockaddr(reinterpret_cast<sockaddr*>(&bound)).port;
    description_ = HostPort(address, port_);
    return Status::Ok();
  }

  void set_on_rejected(RejectFn on_rejected) override { on_rejected_ = std::move(on_rejected); }
  void set_max_connections(int max_connections) override { max_total_ = max_connections; }
  void set_busy_reply(std::string line) override { busy_reply_ = std::move(line); }
  void set_refusal_log(RefusalLog::WriteFn write, uint64_t interval_ms) override {
    refusals_.set_write(std::move(write), interval_ms);
  }
  uint16_t port() const override { return port_; }
  std::string description() const override { return description_; }
  int connections_from(const std::string& ip_text) const override {
    auto it = counts_->by_key.find(ConnectionCapKey(ip_text));
    return it == counts_->by_key.end() ? 0 : it->second;
  }
  int connections() const override { return counts_->total; }

  void Close(std::function<void()> done) override {
    if (handle_) StartClose(std::move(done));
    else if (done) done();  // not reached: Listen only returns a bound listener
  }

 private:
  void StartPolling() {
    uv_poll_start(&handle_->poll, UV_READABLE, [](uv_poll_t* poll, int status, int) {
      auto* h = static_cast<Handle*>(poll->data);
      if (h->owner) h->owner->OnReadable(status);
    });
  }

  void StartClose(std::function<void()> done) {
    // Every handle goes: an owner may close the loop once it has run on.
    backoff_.Close();
    refusals_.Close();
    if (handle_->closing) {
      if (done) handle_->close_done = std::move(done);
      return;
    }
    handle_->closing = true;
    handle_->close_done = std::move(done);
    uv_close(reinterpret_cast<uv_handle_t*>(&handle_->poll), [](uv_handle_t* raw) {
      auto* h = static_cast<Handle*>(raw->data);
      std::function<void()> done_cb = std::move(h->close_done);
      close(h->fd);  // only now: libuv no longer watches it
      if (h->owner) h->owner->handle_ = nullptr;
      delete h;
      if (done_cb) done_cb();
    });
  }

  void OnReadable(int status) {
    if (status < 0) {  // the poll itself failed: log, pause, try again
      refusals_.Note("", "accept failed: " + std::string(uv_strerror(status)));
      PauseAccepting();
      return;
    }
    std::shared_ptr<bool> alive = alive_;  // on_accept may destroy the listener
    for (int i = 0; i < kAcceptsPerEvent && handle_ && !handle_->closing; ++i) {
      sockaddr_storage addr{};
      socklen_t len = sizeof(addr);
      int fd = accept4(handle_->fd, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        int err = errno;
        if (err == EAGAIN || err == EWOULDBLOCK) return;
        if (err == EINTR || err == ECONNABORTED) continue;  // the client gave up first
        if (err == EMFILE || err == ENFILE) {
          RefuseWithSpareDescriptor(err);
        } else {
          refusals_.Note("", "accept failed: " + std::string(std::strerror(err)));
        }
        PauseAccepting();
        return;
      }
      OnConnection(fd);
      if (!*alive) return;
    }
  }

  // The process (EMFILE) or the system (ENFILE) has no descriptor left. The
  // spare one is given up to take each waiting client, tell it we are busy and
  // close it (else it would hang in the backlog without a word), then it is
  // reopened. Best effort: a spare lost to another thread means only logging.
  void RefuseWithSpareDescriptor(int err) {
    const std::string why = std::string("out of file descriptors (") + (err == EMFILE ? "EMFILE" : "ENFILE") +
                            "); refused with a busy reply";
    bool refused_any = false;
    if (spare_fd_ >= 0) {
      close(spare_fd_);
      spare_fd_ = -1;
      for (int i = 0; i < kAcceptsPerEvent; ++i) {
        sockaddr_storage addr{};
        socklen_t len = sizeof(addr);
        int fd = accept4(handle_->fd, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
          if (errno == EINTR || errno == ECONNABORTED) continue;
          break;
        }
        if (!busy_reply_.empty()) send(fd, busy_reply_.data(), busy_reply_.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        close(fd);
        refused_any = true;
        refusals_.Note(PeerAddressFromSockaddr(reinterpret_cast<sockaddr*>(&addr)).text, why);
      }
      spare_fd_ = OpenSpareDescriptor();
    }
    if (!refused_any) {
      refusals_.Note("", std::string("out of file descriptors (") + (err == EMFILE ? "EMFILE" : "ENFILE") +
                             "); clients wait in the backlog");
    }
  }

  // Stop watching the socket for a moment instead of spinning on a backlog
  // that cannot be taken; waiting clients stay queued in the kernel.
  void PauseAccepting() {
    if (!handle_ || handle_->closing) return;
    uv_poll_stop(&handle_->poll);
    backoff_.Start(kAcceptBackoffMs, [this] {
      if (handle_ && !handle_->closing) StartPolling();
    });
  }

  void OnConnection(int fd) {
    auto stream = std::make_unique<TcpStream>(loop_);
    if (uv_tcp_open(stream->tcp(), fd) != 0) {
      close(fd);
      return;  // the unconnected stream releases its handle on destruction
    }
    stream->MarkConnected();
    const std::string ip = stream->peer().text;
    const std::string key = ConnectionCapKey(stream->peer());
    auto it = counts_->by_key.find(key);
    const int from_key = it == counts_->by_key.end() ? 0 : it->second;
    if (cap_ > 0 && from_key >= cap_) {
      Reject(std::move(stream), ip, "too many connections from " + key + " (limit " + std::to_string(cap_) + ")");
      return;
    }
    if (max_total_ > 0 && counts_->total >= max_total_) {
      Reject(std::move(stream), ip, "too many connections (limit " + std::to_string(max_total_) + ")");
      return;
    }
    ++counts_->by_key[key];
    ++counts_->total;
    stream->set_on_released([counts = counts_, key] {
      --counts->total;
      auto found = counts->by_key.find(key);
      if (found != counts->by_key.end() && --found->second <= 0) counts->by_key.erase(found);
    });
    on_accept_(std::move(stream));
  }

  void Reject(std::unique_ptr<TcpStream> stream, const std::string& ip, const std::string& reason) {
    refusals_.Note(ip, reason);
    if (on_rejected_) {
      on_rejected_(std::move(stream), reason);
      return;
    }
    CloseAndDiscard(std::move(stream));  // nobody wants to say goodbye
  }

  uv_loop_t* loop_;
  int cap_;
  int max_total_ = 0;
  AcceptFn on_accept_;
  RejectFn on_rejected_;
  std::string busy_reply_;
  Handle* handle_ = nullptr;
  int spare_fd_ = -1;
  Timer backoff_;
  RefusalLog refusals_;
  uint16_t port_ = 0;
  std::string description_;
  std::shared_ptr<Counts> counts_ = std::make_shared<Counts>();
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace

Status TcpListener::Listen(uv_loop_t* loop, const std::string& address, uint16_t port,
                           int max_connections_per_ip, AcceptFn on_accept,
                           std::unique_ptr<TcpListener>* out) {
  auto listener = std::make_unique<TcpListenerImpl>(loop, max_connections_per_ip, std::move(on_accept));
  if (Status s = listener->Bind(address, port); !s.ok()) return s;
  *out = std::move(listener);
  return Status::Ok();
}

}  // namespace mailtee::net
