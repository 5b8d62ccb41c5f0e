// Pop3Session: one client relayed to the provider (see docs/pop3.md).
//
//   setup:   <allow> check -> [client TLS handshake if implicit] -> connect provider ->
//            [implicit TLS | greeting, STLS, TLS] -> mailtee's greeting to the client
//   relay:   client lines are parsed one at a time; each command is either
//            answered locally (refusals, STLS, errors) or relayed verbatim with
//            the shape of its response queued in the ResponseFramer. Responses
//            and local answers reach the client in command order (slots_).
//   tee:     RETR / whole-message TOP bodies stream into a RetrievalTee; at the
//            terminating "." the capture is committed on the thread pool.
//   end:     QUIT waits for in-flight commits; if any failed the provider's
//            QUIT is withheld, so nothing is deleted (RFC 1939 UPDATE state).
//
// Lifetime: the session is freed (by Pop3Proxy) only when both streams have
// called on_closed and no connect or commit is in flight (pending_ops_ == 0).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

#include "archive/log_book.h"
#include "archive/message_sink.h"
#include "archive/session_event.h"
#include "proxy/net/live_session.h"
#include "proxy/net/connect.h"
#include "proxy/net/rate_deadline.h"
#include "proxy/net/stream.h"
#include "proxy/net/timer.h"
#include "proxy/pop3/command.h"
#include "proxy/pop3/line_reader.h"
#include "proxy/pop3/mailbox_listing.h"
#include "proxy/pop3/pop3_proxy.h"
#include "proxy/pop3/response_framer.h"
#include "proxy/pop3/retrieval_tee.h"
#include "proxy/pop3/sasl_login.h"

namespace mailtee::pop3 {

// Commands in flight towards the provider before the session stops reading the client.
constexpr size_t kMaxCommandsInFlight = 32;
// Retrieved messages still being archived, plus RETR/TOP already sent to
// the provider, before the session stops taking commands: the archive works
// at a lower priority than the loop (archive/thread_priority.h) and a fast
// client must not run ahead of it without bound (each holds two open spool
// files). A hard cap, also for pipelined RETRs.
constexpr int kMaxPendingCommits = 64;
// Client bytes held while parsing is blocked (STLS, AUTH step, pipeline full).
constexpr size_t kMaxHeldClientInput = 256 << 10;
// Largest provider CAPA body taken into account.
constexpr size_t kMaxCapaBody = 16 << 10;

class Pop3Session : private ResponseHandler {
 public:
  Pop3Session(Pop3Proxy* proxy, std::unique_ptr<net::Stream> client);
  ~Pop3Session() override;
  void Start();
  // Proxy shutdown: end now if idle, else after the responses in flight.
  void Drain();
  // For `mailtee sessions` / GET /api/sessions (loop thread).
  net::LiveSession Snapshot() const;

 private:
  enum class Phase {
    kClientHandshake, kConnecting, kUpstreamHandshake, kUpstreamGreeting, kUpstreamStls,
    kRelaying, kClosing
  };
  enum class SlotKind { kRelayed, kLocal, kLocalStls };
  struct Slot {
    SlotKind kind = SlotKind::kRelayed;
    Command command;
    std::string reply;     // local answers, without CRLF
    bool internal = false; // mailtee's own "UIDL n" before a RETR: answer not forwarded
  };
  struct CommitJob;

  // setup
  void ConnectUpstream();
  void OnUpstreamConnected(Status status, std::unique_ptr<net::Stream> stream);
  void StartUpstreamTls();
  void EnterRelaying();
  // client side
  void OnClientData(std::string_view data);
  void ProcessClientInput();
  bool ParsingBlocked() const;
  int RetrievalsInFlight() const;
  void HandleLine(const std::string& line);
  void Relay(const Command& command, const std::string& line, ResponseShape shape);
  // Asks the provider for the whole UIDL list (once per session), holding the
  // client's next command back until it is in.
  void LookUpUidls();
  void AnswerLocally(std::string reply);
  void FlushLocalSlots();
  void StartClientTls();
  void TryQuit();
  bool LoginAllowed() const;
  bool StlsOffered() const;
  // provider side
  void OnUpstreamData(std::string_view data);
  void OnUpstreamLost(const std::string& reason);
  void OnStatus(StatusKind kind, std::string_view line, bool multiline) override;
  void OnRaw(std::string_view raw) override;
  void OnBody(std::string_view data) override;
  void OnComplete(StatusKind kind) override;
  void BeginTee(const Command& command);
  void FinishTee(const Command& command);
  void QueueCommit(std::unique_ptr<archive::Capture> capture, const Command& command, uint64_t size);
  void OnCommitDone(CommitJob* job);
  // plumbing
  void WriteClient(std::string_view bytes);
  void WriteUpstream(std::string_view bytes);
  void ArmTimer();
  // Slowloris bounds that arriving bytes do not reset (docs/pop3.md "Time limits").
  void UpdateLineDeadline();
  void UpdateBodyDeadline();
  void OnSessionCeiling();
  void SetLogin(const std::string& login);
  using EventType = archive::SessionEvent::Type;
  using EventCause = archive::SessionEvent::Cause;
  // cause: why /metrics should care (a client TLS handshake, the provider).
  void CloseAll(const std::string& reason, const std::string& client_reply, EventCause cause = EventCause::kNone);
  void MaybeFinish();
  // One log line, recorded as a SessionEvent (archive/session_event.h).
  void Log(archive::LogKind kind, const std::string& text, EventType type = EventType::kNote,
           EventCause cause = EventCause::kNone, uint64_t bytes = 0);

  Pop3Proxy* proxy_;
  const ProxyEnvironment& env_;
  std::unique_ptr<net::Stream> client_;
  std::unique_ptr<net::Stream> upstream_;
  bool client_closed_ = false;
  bool upstream_closed_ = true;   // until a provider stream exists
  int pending_ops_ = 0;           // connects and commits in flight
  std::unique_ptr<net::PendingConnect> connecting_;
  int pending_commits_ = 0;
  Phase phase_ = Phase::kClientHandshake;
  net::Timer timer_;
  net::Timer line_timer_;     // a command / SASL line started and is not complete yet
  net::Timer session_timer_;  // whole-session ceiling
  net::Timer body_timer_;     // body_budget_ runs out
  net::RateDeadline body_budget_;  // a multi-line response the client reads: data-block slack + bytes at min-data-rate
  std::string client_ip_;
  int64_t started_unix_ = 0;
  std::string upstream_name_;     // "host:port"

  // client input
  LineReader reader_;
  std::string client_input_;
  bool client_paused_ = false;
  bool drop_client_plaintext_ = false;  // between STLS and the TLS switch
  bool stls_pending_ = false;
  bool quit_requested_ = false;
  bool auth_active_ = false;
  bool sasl_line_expected_ = false;
  std::deque<Slot> slots_;

  // provider output
  ResponseFramer framer_;
  std::string provider_greeting_;  // its status line; only its APOP timestamp reaches the client
  bool switch_upstream_tls_ = false;
  // While mailtee's own UIDL lookup is in flight, the commands after it are
  // queued here (bounded by kMaxCommandsInFlight lines): the lookup itself
  // never makes the provider see pipelining the client did not do.
  bool hold_upstream_writes_ = false;
  std::string held_upstream_;
  enum class ProviderUidl { kUnknown, kYes, kNo } provider_uidl_ = ProviderUidl::kUnknown;
  bool uidl_listing_requested_ = false;  // mailtee's own UIDL went out (LookUpUidls)
  bool upstream_paused_ = false;
  bool forwarding_ = true;        // raw bytes of the current response go to the client
  StatusKind current_kind_ = StatusKind::kOk;
  std::string capa_status_;
  std::string capa_body_;
  bool listing_body_ = false;
  std::unique_ptr<RetrievalTee> tee_;

  // who and what
  SaslLogin sasl_;
  std::string pending_user_;
  std::string login_;
  MailboxListing listing_;
  bool commit_failed_ = false;
  bool draining_ = false;
  int retrieved_ = 0;
};

}  // namespace mailtee::pop3
