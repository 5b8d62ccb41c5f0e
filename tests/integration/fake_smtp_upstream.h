// FakeSmtpUpstream: a scripted SMTP provider on 127.0.0.1:<ephemeral> for
// integration tests (after Envoy's test/integration/fake_upstream.h). Each
// connection runs on its own blocking thread; behaviour comes from Options and
// everything received is recorded for the test to inspect, with deterministic
// waits (WaitFor) instead of sleeps.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace mailtee::smtp_testing {

class FakeSmtpUpstream {
 public:
  struct Options {
    std::string greeting = "220 fake.provider ESMTP ready";
    std::vector<std::string> ehlo_extensions = {"PIPELINING", "SIZE 10485760", "8BITMIME", "ENHANCEDSTATUSCODES",
                                                "AUTH PLAIN LOGIN CRAM-MD5 XOAUTH2", "XCLIENT NAME ADDR", "ETRN",
                                                "SMTPUTF8", "DSN", "CHUNKING"};
    SSL_CTX* starttls = nullptr;         // offer STARTTLS with this server context
    bool implicit_tls = false;
    std::string after_starttls_ready;    // plaintext sent right behind "220 Ready" (injection test)           // TLS from the first byte (needs starttls ctx)
    std::map<std::string, std::string> users = {{"alice@example.org", "secret"}};
    std::set<std::string> rejected_recipients;   // RCPT -> 550
    std::string data_reply = "250 2.0.0 Ok: queued as FAKE1";
    bool silent = false;                 // accept, then never say a word (timeouts)
    bool record_data = true;             // false: keep only size + checksum (big messages)
    bool refuse_ehlo = false;            // an SMTP-only server: EHLO -> 502, HELO works
    bool close_after_dot = false;        // read the whole message, then hang up without a verdict
    int data_reply_delay_ms = 0;         // a slow provider: wait this long before the verdict on the dot
    int noop_delay_ms = 0;               // a slow provider: wait this long before answering NOOP
    std::string bdat_chunk_reply;        // non-empty: every non-LAST BDAT chunk gets this reply
    std::string after_data_reply;        // non-empty: sent right behind the verdict on the dot (e.g. a 421)
    bool stall_in_data = false;          // after 354, never read again (a provider whose window stays full)
  };

  struct Message {
    std::string from;
    std::vector<std::string> recipients;
    std::string data;         // raw bytes after 354 up to (not including) the final ".\r\n"
    uint64_t size = 0;
    uint64_t checksum = 0;    // Checksum() of data
    bool complete = false;    // the final dot arrived
  };

  explicit FakeSmtpUpstream(Options options);
  ~FakeSmtpUpstream();

  uint16_t port() const { return port_; }
  // Every command line received, in order, across connections (AUTH payloads included: test data only).
  std::vector<std::string> commands();
  std::vector<Message> messages();
  int connections();
  // Waits until pred() holds (checked under the recorder's lock), up to timeout.
  bool WaitFor(const std::function<bool()>& pred, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Connections fully finished (socket closed by either side).
  int closed_connections();
  // Commands that arrived while an earlier one was still unanswered, when the
  // provider does not offer PIPELINING ("improper command pipelining").
  int pipelining_violations();

  // The CRAM-MD5 challenges sent so far (decoded, "<n.time@fake.provider>").
  std::vector<std::string> cram_challenges();
  // RFC 2195 response for a challenge: base64("user " + hex HMAC-MD5(password, challenge)).
  static std::string CramMd5Response(const std::string& user, const std::string& password,
                                     const std::string& challenge);

  static uint64_t Checksum(uint64_t seed, std::string_view bytes);  // FNV-1a, streamable
  static constexpr uint64_t kChecksumSeed = 1469598103934665603ull;

 private:
  class Conn;
  void AcceptLoop();
  void Serve(int fd);

  Options options_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::thread> workers_;
  std::vector<int> open_fds_;
  std::vector<std::string> commands_;
  std::vector<Message> messages_;
  int connections_ = 0;
  int closed_ = 0;
  int pipelining_violations_ = 0;
  std::vector<std::string> cram_challenges_;
};

}  // namespace mailtee::smtp_testing
