// FakePop3Upstream: a scripted POP3 provider on 127.0.0.1, port 0, for the
// POP3 proxy's integration tests (after Envoy's fake_upstream.h). Blocking
// sockets, one thread per connection; plays a mailbox with USER/PASS, APOP,
// AUTH PLAIN, AUTH LOGIN, STAT, LIST, UIDL, RETR, TOP, DELE, NOOP, RSET, CAPA, STLS, QUIT.
// Every command line it receives is recorded so tests can assert what reached
// the provider (and what must not have).
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mailtee::testing {

struct FakeMailbox {
  std::string user = "alice";
  std::string password = "secret";
  // Message bytes as stored (CRLF lines, not dot-stuffed).
  std::vector<std::string> messages;
};

struct FakePop3Options {
  std::string greeting = "+OK fake POP3 ready <1896.697170952@fake.example>";
  std::string capa = "TOP\r\nUIDL\r\nUSER\r\nSASL PLAIN LOGIN XOAUTH2\r\nPIPELINING\r\nRESP-CODES\r\n"
                     "UTF8\r\nIMPLEMENTATION FakePop 1.0\r\nX-SECRET\r\n";
  SSL_CTX* tls = nullptr;           // enables STLS (and implicit TLS if implicit_tls)
  bool implicit_tls = false;
  // Sent right after "+OK" to STLS in plaintext: an injection attempt to be dropped.
  std::string after_stls_plaintext;
  int cut_retr_of = 0;              // RETR of this message number: send half, then hang up
};

class FakePop3Upstream {
 public:
  FakePop3Upstream(FakeMailbox mailbox, FakePop3Options options);
  ~FakePop3Upstream();
  uint16_t port() const { return port_; }
  // All command lines received so far, across connections, in order.
  std::vector<std::string> commands() const;
  bool received(const std::string& line) const;
  // Bytes the provider has handed to the kernel so far (all connections): stalls
  // when the proxy stops reading (backpressure).
  uint64_t bytes_sent() const { return bytes_sent_; }
  // Connections accepted so far (a refused client must not cause one).
  int connections() const {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(connections_.size());
  }
  // The exact bytes a RETR of message n puts on the wire (status line excluded).
  static std::string Stuffed(const std::string& message);
  // RFC 1939 APOP digest: hex MD5 of the greeting's timestamp and the password.
  static std::string ApopDigest(const std::string& timestamp, const std::string& password);

 private:
  void AcceptLoop();
  void Serve(int fd);

  FakeMailbox mailbox_;
  FakePop3Options options_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> bytes_sent_{0};
  std::thread accept_thread_;
  mutable std::mutex mu_;
  std::vector<std::thread> connections_;
  std::vector<int> open_fds_;
  std::vector<std::string> commands_;
};

}  // namespace mailtee::testing
