// TcpListener over uv_tcp_t, with the per-IP connection cap.
#include "proxy/net/listener.h"

#include <uv.h>

#include <unordered_map>

#include "proxy/net/discard.h"
#include "proxy/net/peer_address.h"
#include "proxy/net/tcp_stream.h"
#include "proxy/net/uv_error.h"

namespace mailtee::net {

namespace {

constexpr int kBacklog = 511;

// Live streams per client IP; shared with each accepted stream's destroy hook so
// a stream outliving the listener still releases its slot safely.
using IpCounts = std::unordered_map<std::string, int>;

class TcpListenerImpl final : public TcpListener {
 public:
  struct Handle {
    uv_tcp_t tcp;
    TcpListenerImpl* owner = nullptr;
    std::function<void()> close_done;
    bool closing = false;
  };

  TcpListenerImpl(uv_loop_t* loop, int cap, AcceptFn on_accept)
      : loop_(loop), cap_(cap), on_accept_(std::move(on_accept)), handle_(new Handle) {
    handle_->owner = this;
    uv_tcp_init(loop, &handle_->tcp);
    handle_->tcp.data = handle_;
  }

  ~TcpListenerImpl() override {
    if (!handle_) return;  // Close() already finished
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
    // libuv sets SO_REUSEADDR on TCP binds; bind errors may surface at listen().
    rc = uv_tcp_bind(&handle_->tcp, reinterpret_cast<sockaddr*>(&addr), 0);
    if (rc == 0) {
      rc = uv_listen(reinterpret_cast<uv_stream_t*>(&handle_->tcp), kBacklog,
                     [](uv_stream_t* server, int status) {
                       auto* h = static_cast<Handle*>(server->data);
                       if (h->owner && status == 0) h->owner->OnConnection();
                     });
    }
    if (rc != 0) return UvError("listen on " + where + " failed", rc);
    sockaddr_storage bound{};
    int len = sizeof(bound);
    uv_tcp_getsockname(&handle_->tcp, reinterpret_cast<sockaddr*>(&bound), &len);
    port_ = PeerAddressFromSockaddr(reinterpret_cast<sockaddr*>(&bound)).port;
    description_ = HostPort(address, port_);
    return Status::Ok();
  }

  void set_on_rejected(RejectFn on_rejected) override { on_rejected_ = std::move(on_rejected); }
  uint16_t port() const override { return port_; }
  std::string description() const override { return description_; }
  int connections_from(const std::string& ip_text) const override {
    auto it = counts_->find(ip_text);
    return it == counts_->end() ? 0 : it->second;
  }

  void Close(std::function<void()> done) override {
    if (handle_) StartClose(std::move(done));
  }

 private:
  void StartClose(std::function<void()> done) {
    if (handle_->closing) {
      if (done) handle_->close_done = std::move(done);
      return;
    }
    handle_->closing = true;
    handle_->close_done = std::move(done);
    uv_close(reinterpret_cast<uv_handle_t*>(&handle_->tcp), [](uv_handle_t* raw) {
      auto* h = static_cast<Handle*>(raw->data);
      std::function<void()> done_cb = std::move(h->close_done);
      if (h->owner) h->owner->handle_ = nullptr;
      delete h;
      if (done_cb) done_cb();
    });
  }

  void OnConnection() {
    auto stream = std::make_unique<TcpStream>(loop_);
    if (uv_accept(reinterpret_cast<uv_stream_t*>(&handle_->tcp),
                  reinterpret_cast<uv_stream_t*>(stream->tcp())) != 0) {
      return;  // the unconnected stream releases its handle on destruction
    }
    stream->MarkConnected();
    const std::string ip = stream->peer().text;
    int& count = (*counts_)[ip];
    if (cap_ > 0 && count >= cap_) {
      if (count == 0) counts_->erase(ip);
      Reject(std::move(stream), "too many connections from " + ip + " (limit " +
                                    std::to_string(cap_) + ")");
      return;
    }
    ++count;
    stream->set_on_released([counts = counts_, ip] {
      auto it = counts->find(ip);
      if (it != counts->end() && --it->second <= 0) counts->erase(it);
    });
    on_accept_(std::move(stream));
  }

  void Reject(std::unique_ptr<TcpStream> stream, const std::string& reason) {
    if (on_rejected_) {
      on_rejected_(std::move(stream), reason);
      return;
    }
    CloseAndDiscard(std::move(stream));  // nobody wants to say goodbye
  }

  uv_loop_t* loop_;
  int cap_;
  AcceptFn on_accept_;
  RejectFn on_rejected_;
  Handle* handle_;
  uint16_t port_ = 0;
  std::string description_;
  std::shared_ptr<IpCounts> counts_ = std::make_shared<IpCounts>();
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
