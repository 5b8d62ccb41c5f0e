// net::Connect: resolve, then try each address in turn, each with the timeout.
// The operation owns itself and is freed once libuv holds none of its parts.
#include <netdb.h>
#include <uv.h>

#include <memory>

#include "proxy/net/connect.h"
#include "proxy/net/discard.h"
#include "proxy/net/peer_address.h"
#include "proxy/net/stream.h"
#include "proxy/net/tcp_stream.h"
#include "proxy/net/timer.h"
#include "proxy/net/uv_error.h"

namespace mailtee::net {

namespace {
class ConnectOp;
}  // namespace

struct PendingConnect::State {
  ConnectOp* op = nullptr;  // null once the operation has reported or been cancelled
};

namespace {

using DoneFn = std::function<void(Status, std::unique_ptr<Stream>)>;

class ConnectOp {
 public:
  ConnectOp(uv_loop_t* loop, std::string host, uint16_t port, int timeout_seconds, DoneFn done)
      : loop_(loop),
        host_(std::move(host)),
        port_(port),
        timeout_ms_(static_cast<uint64_t>(timeout_seconds > 0 ? timeout_seconds : 1) * 1000),
        done_(std::move(done)),
        timer_(loop),
        target_(HostPort(host_, port_)) {
    gai_.data = this;
    connect_req_.data = this;
  }

  void set_state(std::shared_ptr<PendingConnect::State> state) {
    state_ = std::move(state);
    state_->op = this;
  }

  // The owner no longer wants the result: done is dropped, work is wound down.
  void Cancel() {
    done_ = nullptr;
    if (resolving_) uv_cancel(reinterpret_cast<uv_req_t*>(&gai_));
    Finish(Status::Error("cancelled"), nullptr);
  }

  void Start() {
    if (host_.empty()) {
      FailSoon(Status::Error("cannot connect: no host name configured (port " +
                             std::to_string(port_) + ")"));
      return;
    }
    if (ParseLiteralAddress()) {
      // An IP address needs no resolver: skipping uv_getaddrinfo saves a
      // thread-pool round trip (two thread wake-ups) per upstream connection.
      // Connecting still reports only through libuv callbacks.
      next_ = &literal_ai_;
      TryNext();
      return;
    }
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    const std::string service = std::to_string(port_);
    int rc = uv_getaddrinfo(loop_, &gai_, &ConnectOp::OnResolved, host_.c_str(), service.c_str(),
                            &hints);
    if (rc != 0) {
      FailSoon(UvError("cannot resolve " + host_ + " (for " + target_ + ")", rc));
      return;
    }
    resolving_ = true;
    timer_.Start(timeout_ms_, [this] {
      uv_cancel(reinterpret_cast<uv_req_t*>(&gai_));  // OnResolved still runs
      Finish(Status::Error("resolving " + host_ + " (for " + target_ + ") timed out after " +
                           std::to_string(timeout_ms_ / 1000) + " s"),
             nullptr);
    });
  }

 private:
  // host_ as a numeric IPv4/IPv6 address (what getaddrinfo would return for it) into literal_ai_.
  bool ParseLiteralAddress() {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&literal_addr_);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&literal_addr_);
    if (uv_ip4_addr(host_.c_str(), port_, v4) == 0) {
      literal_ai_.ai_family = AF_INET;
      literal_ai_.ai_addrlen = sizeof(sockaddr_in);
    } else if (host_.find(':') != std::string::npos && uv_ip6_addr(host_.c_str(), port_, v6) == 0) {
      literal_ai_.ai_family = AF_INET6;
      literal_ai_.ai_addrlen = sizeof(sockaddr_in6);
    } else {
      return false;
    }
    literal_ai_.ai_socktype = SOCK_STREAM;
    literal_ai_.ai_addr = reinterpret_cast<sockaddr*>(&literal_addr_);
    literal_ai_.ai_next = nullptr;
    return true;
  }

  // Errors are reported from the loop, never from inside Connect().
  void FailSoon(Status status) {
    timer_.Start(0, [this, status] { Finish(status, nullptr); });
  }

  static void OnResolved(uv_getaddrinfo_t* req, int status, addrinfo* res) {
    auto* self = static_cast<ConnectOp*>(req->data);
    self->resolving_ = false;
    self->addresses_ = res;
    self->next_ = res;
    if (self->finished_) {
      self->MaybeDelete();
      return;
    }
    self->timer_.Stop();
    if (status != 0) {
      self->Finish(UvError("cannot resolve " + self->host_ + " (for " + self->target_ + ")", status),
                   nullptr);
      return;
    }
    self->TryNext();
  }

  void TryNext() {
    if (!next_) {
      Finish(last_error_.ok() ? Status::Error("cannot connect to " + target_ + ": no addresses")
                              : last_error_,
             nullptr);
      return;
    }
    const addrinfo* ai = next_;
    next_ = next_->ai_next;
    address_text_ = PeerAddressFromSockaddr(ai->ai_addr).text;
    attempt_ = std::make_unique<TcpStream>(loop_);
    attempt_live_ = true;
    int rc = uv_tcp_connect(&connect_req_, attempt_->tcp(), ai->ai_addr, &ConnectOp::OnConnected);
    if (rc != 0) {
      AbandonAttempt(UvError(Describe() + " failed", rc));
      return;
    }
    timer_.Start(timeout_ms_, [this] {
      AbandonAttempt(Status::Error(Describe() + " timed out after " +
                                   std::to_string(timeout_ms_ / 1000) + " s"));
    });
  }

  std::string Describe() const {
    if (address_text_ == host_) return "connect to " + target_;
    return "connect to " + target_ + " (" + address_text_ + ")";
  }

  static void OnConnected(uv_connect_t* req, int status) {
    auto* self = static_cast<ConnectOp*>(req->data);
    if (!self->attempt_live_) return;  // abandoned (timeout); its close is under way
    self->timer_.Stop();
    if (status != 0) {
      self->AbandonAttempt(UvError(self->Describe() + " failed", status));
      return;
    }
    self->attempt_live_ = false;
    self->attempt_->MarkConnected(self->target_);
    std::unique_ptr<Stream> stream = std::move(self->attempt_);
    self->Finish(Status::Ok(), std::move(stream));
  }

  // Closes the failed attempt; the next address is tried once it is released.
  void AbandonAttempt(Status why) {
    timer_.Stop();
    last_error_ = std::move(why);
    attempt_live_ = false;
    Stream::Callbacks cb;
    cb.on_closed = [this] {
      attempt_.reset();
      if (finished_) {
        MaybeDelete();
      } else {
        TryNext();
      }
    };
    attempt_->SetCallbacks(std::move(cb));
    attempt_->Close();
  }

  void Finish(Status status, std::unique_ptr<Stream> stream) {
    if (finished_) return;
    finished_ = true;
    timer_.Stop();
    if (state_) state_->op = nullptr;
    DoneFn done = std::move(done_);
    if (attempt_ && attempt_live_) AbandonAttempt(status);
    if (done) {
      done(std::move(status), std::move(stream));
    } else {
      CloseAndDiscard(std::move(stream));  // cancelled: nobody takes it
    }
    MaybeDelete();
  }

  void MaybeDelete() {
    if (!finished_ || resolving_ || attempt_) return;
    if (addresses_) uv_freeaddrinfo(addresses_);
    delete this;
  }

  uv_loop_t* loop_;
  std::string host_;
  uint16_t port_;
  uint64_t timeout_ms_;
  DoneFn done_;
  Timer timer_;
  std::string target_;
  uv_getaddrinfo_t gai_;
  uv_connect_t connect_req_;
  addrinfo* addresses_ = nullptr;       // from the resolver (freed), or null for a literal
  sockaddr_storage literal_addr_{};     // host_ when it is an IP address
  addrinfo literal_ai_{};
  const addrinfo* next_ = nullptr;
  std::string address_text_;
  std::unique_ptr<TcpStream> attempt_;
  bool attempt_live_ = false;
  bool resolving_ = false;
  bool finished_ = false;
  Status last_error_;
  std::shared_ptr<PendingConnect::State> state_;
};

}  // namespace

void PendingConnect::Cancel() {
  if (state_ && state_->op) state_->op->Cancel();
}

std::unique_ptr<PendingConnect> StartConnect(
    uv_loop_t* loop, const std::string& host, uint16_t port, int timeout_seconds,
    std::function<void(Status, std::unique_ptr<Stream>)> done) {
  auto state = std::make_shared<PendingConnect::State>();
  auto* op = new ConnectOp(loop, host, port, timeout_seconds, std::move(done));
  op->set_state(state);
  op->Start();
  return std::make_unique<PendingConnect>(std::move(state));
}

void Connect(uv_loop_t* loop, const std::string& host, uint16_t port, int timeout_seconds,
             std::function<void(Status, std::unique_ptr<Stream>)> done) {
  (new ConnectOp(loop, host, port, timeout_seconds, std::move(done)))->Start();
}

}  // namespace mailtee::net
