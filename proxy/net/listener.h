// TcpListener: accepts TCP connections on one address:port and hands each one
// to the owner as a plaintext net::Stream (TCP_NODELAY set, reading not yet
// started until the owner calls SetCallbacks).
//
// Per-IP cap: at most max_connections_per_ip live Streams per client address
// (0 = unlimited). A Stream counts from accept until its socket is closed (or
// it is destroyed, if that comes first): a session that lingers after its
// socket closed (archive work finishing) no longer holds a slot. A connection beyond the
// cap is NOT passed to on_accept: it goes to on_rejected (see set_on_rejected),
// where the protocol layer can write e.g. "421 4.7.0 too many connections from
// your address" and Close() it. Rejected streams do not count toward the cap.
// Without an on_rejected hook, excess connections are closed at once.
// IPv6 clients are counted per /64 network (ConnectionCapKey, peer_address.h).
//
// Listener-wide cap (set_max_connections): at most that many live Streams in
// all; the next client goes to on_rejected too ("too many connections (limit
// N)"), before any session (and so any provider connection) exists for it.
//
// Out of file descriptors (EMFILE/ENFILE): the listener keeps one spare
// descriptor; it is closed to accept the waiting clients one at a time, each
// gets the busy reply (set_busy_reply) and is closed, and the spare is
// reopened. Then accepting pauses for kAcceptBackoffMs instead of spinning on
// a backlog it cannot take. Every refusal — cap, descriptors, accept errors —
// goes to the refusal log (set_refusal_log), at most one line per interval.
//
// Lifetime: Close(done) stops accepting and calls done from libuv's close
// callback. Destroying the listener at any time is safe (the handle is released
// asynchronously and no callback fires after destruction); accepted Streams are
// independent of the listener and may outlive it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "config/status.h"
#include "proxy/net/refusal_log.h"
#include "proxy/net/stream.h"

namespace mailtee::net {

// Pause of accepting after the process ran out of file descriptors.
constexpr uint64_t kAcceptBackoffMs = 100;

class TcpListener {
 public:
  using AcceptFn = std::function<void(std::unique_ptr<Stream>)>;
  // reason is a short human sentence, e.g. "too many connections from 192.0.2.7 (limit 10)".
  using RejectFn = std::function<void(std::unique_ptr<Stream>, const std::string& reason)>;

  // address: "0.0.0.0", "127.0.0.1", "::", "::1" (IPv4 or IPv6 literal). port 0
  // binds an ephemeral port (see port()). SO_REUSEADDR is set. Errors name
  // address:port and the cause ("listen on 127.0.0.1:25 failed: permission denied").
  static Status Listen(uv_loop_t* loop, const std::string& address, uint16_t port,
                       int max_connections_per_ip, AcceptFn on_accept,
                       std::unique_ptr<TcpListener>* out);

  virtual ~TcpListener() = default;

  // Hook for connections over the per-IP cap. Set it right after Listen (nothing
  // is accepted until the loop runs). The Stream given is open and plaintext;
  // the hook owns it: write a refusal if you like, then hand it to
  // net::CloseAndDiscard (proxy/net/discard.h), or Close() it and destroy it
  // after on_closed yourself.
  virtual void set_on_rejected(RejectFn on_rejected) = 0;
  // Listener-wide cap on live Streams (0 = unlimited, the default).
  virtual void set_max_connections(int max_connections) = 0;
  // Bytes written (best effort, without waiting) to a client accepted on the
  // spare descriptor while out of file descriptors, e.g.
  // "421 4.7.0 mailtee is busy, try again later\r\n". Empty: closed silently.
  virtual void set_busy_reply(std::string line) = 0;
  // Where refusals are logged; at most one call per interval_ms (RefusalLog).
  virtual void set_refusal_log(RefusalLog::WriteFn write, uint64_t interval_ms = 1000) = 0;

  // The bound port (useful with port 0).
  virtual uint16_t port() const = 0;
  // "127.0.0.1:2525" / "[::1]:2525" for logs.
  virtual std::string description() const = 0;
  // Live accepted streams counted against the per-IP cap of this address text
  // (for an IPv6 address: of its /64; for tests and admin views).
  virtual int connections_from(const std::string& ip_text) const = 0;
  // Live accepted streams in all.
  virtual int connections() const = 0;

  // Stops accepting; done (may be empty) runs once the handle is closed.
  virtual void Close(std::function<void()> done) = 0;
};

}  // namespace mailtee::net
