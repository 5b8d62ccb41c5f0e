// SmtpSession: one client connection and its upstream connection to the
// provider. An explicit state machine (Phase) plus an ordered queue of commands
// awaiting the provider's replies (PIPELINING: replies go back in order, local
// replies included). The DATA body is decoded by DataDecoder and teed to the
// archive Capture and the provider; durability ordering is in docs/smtp.md.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "archive/message_sink.h"
#include "archive/session_event.h"
#include "proxy/net/live_session.h"
#include "proxy/net/rate_deadline.h"
#include "proxy/net/stream.h"
#include "proxy/net/timer.h"
#include "proxy/smtp/capabilities.h"
#include "proxy/smtp/command.h"
#include "proxy/smtp/data_decoder.h"
#include "proxy/smtp/line_reader.h"
#include "proxy/smtp/reply.h"
#include "proxy/smtp/smtp_proxy.h"

namespace mailtee::smtp {

class SmtpSession {
 public:
  SmtpSession(SmtpProxy* owner, const ProxyEnvironment& env, std::unique_ptr<net::Stream> client,
              uint64_t serial);
  ~SmtpSession();
  SmtpSession(const SmtpSession&) = delete;
  SmtpSession& operator=(const SmtpSession&) = delete;

  void Start();
  // The proxy is draining: idle sessions close with 421 now, busy ones after their transaction.
  void Drain();
  // For `mailtee sessions` / GET /api/sessions (loop thread).
  net::LiveSession Snapshot() const;

 private:
  enum class Phase {
    kClientHandshake,   // implicit TLS towards the client
    kUpstreamSetup,     // connect, greeting, EHLO, STARTTLS, EHLO, account AUTH
    kCommands,          // reading commands; replies may be pending
    kAuthContinuation,  // the next client line is a SASL response for the provider
    kClientStartTls,    // TLS handshake with the client after our 220
    kData,              // streaming the DATA body
    kBdatChunk,         // consuming the bytes of one BDAT chunk
    kSealing,           // worker thread: capture->SealForRelay()
    kAwaitDataReply,    // final dot sent, waiting for the provider's verdict
    kCommitting,        // worker thread: capture->Commit()
    kHolding,           // worker thread: screen->Persist() + capture->Commit(kHeld) (approval hold)
    kClosing,
  };
  enum class SetupStep {
    kConnect, kTlsHandshake, kGreeting, kEhlo, kStartTls, kEhloAfterTls,
    kAuthPlain, kAuthLoginUser, kAuthLoginPassword, kAuthLoginDone,
    kHelo,  // the provider refused EHLO (5xx): plain SMTP, no extensions
  };
  // What a queued command's reply means to us.
  // kLocal, kStartTls and kDataGate are markers run when they reach the head of
  // the queue; the others wait for the provider's reply.
  // kApprovalRcpt is a marker too: RCPT TO the approval address, answered here (hold_gate.h R1).
  enum class Expect { kLocal, kStartTls, kDataGate, kBdatGate, kApprovalRcpt, kBdatChunk, kEhlo, kHelo, kMail, kRcpt, kData, kRset, kQuit, kAuth, kVerbatim, kSilent };
  struct Pending {
    Expect expect;
    Reply local;             // kLocal: the reply to write
    bool close_after = false;  // kLocal: close the session after writing
    std::string path;        // kMail / kRcpt
    uint64_t chunk_size = 0; // kBdatGate
    bool last = false;       // kBdatGate
  };
  static bool ExpectsUpstreamReply(Expect e) {
    return e != Expect::kLocal && e != Expect::kStartTls && e != Expect::kDataGate && e != Expect::kBdatGate &&
           e != Expect::kApprovalRcpt;
  }
  enum class DataFailure { kNone, kBareNewline, kArchive, kTooBig };

  // --- client side
  void OnClientData(std::string_view bytes);
  void OnClientGone(const std::string& reason);
  void Pump();
  void FeedData();
  void HandleLine(const LineReader::Event& ev);
  void HandleCommand(Command command);
  void HandleSaslResponse(const LineReader::Event& ev);
  void StartDataCommand();
  void WipeConsumedSecret();
  archive::MessageContext MakeContext() const;
  bool ChunkingOffered() const;
  // Bytes a message may have: the listener's max-message-size and the
  // provider's SIZE, the smaller one that is set; 0 = no limit.
  uint64_t MessageSizeLimit() const;
  // Recipients of this transaction, those still awaiting the provider's reply included.
  size_t RecipientsCounted() const;
  // A BDAT chunk that is itself over MessageSizeLimit(): refused and the session closed.
  void RefuseOversizedChunk(uint64_t size, uint64_t limit);
  void StartBdatChunk(uint64_t size, bool last);
  void FeedBdatChunk();
  void FinishBdatChunk();
  void QueueLocal(std::string reply_line, bool close_after = false);
  void Relay(const Command& command, Expect expect, std::string path = "");
  void FlushReadyReplies();
  void DoClientStartTls();
  void WriteClient(const Reply& reply);
  void UpdateClientReading();
  void ArmClientTimer();
  // Slowloris bounds that arriving bytes do not reset (docs/smtp.md "Time limits").
  void UpdateClientDeadlines();
  void OnLineDeadline();
  void OnBodyDeadline();
  void OnSessionCeiling();
  void CutSlowClient(const std::string& why);
  bool AuthAllowedNow() const;
  bool ClientIsLoopback() const;
  bool Idle() const;

  // --- upstream side
  void ConnectUpstream();
  void OnUpstreamConnected(Status status, std::unique_ptr<net::Stream> stream);
  void OnUpstreamData(std::string_view bytes);
  void OnUpstreamGone(const std::string& reason);
  // Returns false when the rest of the chunk must be dropped (TLS switch, closing).
  bool OnUpstreamReply(Reply reply);
  bool OnSetupReply(const Reply& reply);
  void AfterUpstreamEhlo(const Reply& reply);
  void UpstreamReady();
  void SetupFailed(const std::string& reply_line,
                   archive::SessionEvent::Cause cause = archive::SessionEvent::Cause::kNone);
  // What SendUpstream's bytes are, for the transcript.
  enum class Wire { kCommand, kSecret, kBody };
  void SendUpstream(std::string_view bytes, int timeout_seconds, Wire kind = Wire::kCommand);
  void ArmUpstreamTimer(int seconds);

  // --- message transaction
  void BeginData();
  void OnDataEnd();
  void AbortTransaction(const std::string& client_reply, const std::string& reason);
  void OnSealed(const Status& status);
  void OnDataReply(const Reply& reply);
  void OnCommitted(const Status& status, const Reply& reply, bool relayed);
  void ResetTransaction();
  // Provider replies that arrived while a verdict was being committed: handled
  // only after the client has its verdict. True when the session closed.
  bool ReplayDeferredReplies();
  // The client was not read because the provider stopped taking our writes.
  void ProviderStalled();
  void ResetBothSides();  // ResetTransaction() plus a silent RSET to the provider
  // The end of data went out but no verdict came back (timeout, provider lost):
  // the provider may have the message, so it is committed as kUnknown (never
  // aborted), then the client gets client_line and the session closes.
  void CommitUnknownVerdict(const std::string& why, const std::string& client_line);

  // --- approval hold (smtp_session_hold.cc; the steps R1, C1, C2, D1-D7 of hold_gate.h)
  HoldEnvelope MakeHoldEnvelope() const;
  void QueueApprovalRcpt(const std::string& path);   // R1, at parse time
  void RunApprovalRcptGate(const Pending& gate);     // R1, at the queue head
  void StartCommandMail();                           // C1 for DATA
  void AppendCommandBytes(std::string_view bytes);   // C1, bounded
  void FinishCommandMail();                          // C2
  void OpenScreen();                                 // D1/D2 after the capture is open
  // D4: end of data, spool sealed. True when the message is held (D5-D7 under way).
  bool HoldAtEndOfData();
  struct HoldResult;
  void OnHoldRecorded(const HoldResult& result);     // D5 done on the worker -> D6/D7
  // The message never went upstream (held locally or command mail): answer,
  // end the transaction on both sides and carry on (no upstream cut needed).
  void FailLocalData(const std::string& client_reply, const std::string& reason);
  void DiscardScreen();

  // --- lifetime
  void RunOnWorker(std::function<Status()> job, std::function<void(const Status&)> done);
  void CloseAll(const std::string& why);
  void MaybeFinish();
  using EventType = archive::SessionEvent::Type;
  using EventCause = archive::SessionEvent::Cause;
  // One log line, recorded as a SessionEvent (archive/session_event.h): the
  // line is what admins read, type / cause / bytes are what /metrics counts.
  void Log(archive::LogKind kind, const std::string& line, EventType type = EventType::kNote,
           EventCause cause = EventCause::kNone, uint64_t bytes = 0);
  // Transcript (when enabled): direction is "C>", "C<", "P>" or "P<" (transcript.h).
  void Transcript(std::string_view direction, std::string_view line);
  void TranscriptSecret(std::string_view direction);  // a credential line, logged as "****"
  std::string UpstreamName() const;
  std::string LogUser() const;

  SmtpProxy* owner_;
  ProxyEnvironment env_;
  const config::Listener& listener_;
  std::string session_tag_;        // "smtp/<listener>#<serial>" for logs
  net::LiveSession described_;     // client address and start time, fixed at accept
  std::string local_name_;         // our host name for greetings and EHLO

  Phase phase_ = Phase::kClientHandshake;
  SetupStep setup_ = SetupStep::kConnect;

  std::unique_ptr<net::Stream> client_;
  std::unique_ptr<net::Stream> upstream_;
  bool client_closed_ = false;
  bool upstream_closed_ = true;     // no upstream yet counts as closed
  bool client_gone_ = false;        // client left while the provider's verdict was outstanding
  bool upstream_aborted_ = false;   // we cut the upstream on purpose
  bool upstream_lost_ = false;      // provider hung up while we were committing its verdict
  bool finished_reported_ = false;
  int pending_work_ = 0;

  net::Timer client_timer_;
  net::Timer upstream_timer_;
  net::Timer line_timer_;           // a command / SASL line started and is not complete yet
  net::Timer body_timer_;           // body_budget_ runs out (DATA/BDAT)
  net::Timer session_timer_;        // whole-session ceiling
  net::RateDeadline body_budget_;   // DATA/BDAT: data-block slack + bytes at min-data-rate
  bool session_expired_ = false;    // ceiling reached while the provider's verdict was due

  // client input not yet parsed (bounded: reading pauses at kMaxInbox)
  std::string inbox_;
  size_t inbox_offset_ = 0;
  bool paused_for_upstream_ = false;
  bool reading_paused_ = false;
  LineReader reader_;
  std::deque<Pending> pending_;
  bool barrier_ = false;            // stop parsing until pending_ drains

  ReplyParser upstream_parser_;
  std::vector<Reply> deferred_replies_;  // bounded by kMaxDeferredReplies
  ProviderCapabilities caps_;
  bool client_ehlo_done_ = false;

  // AUTH (passthrough): the login is kept only after the provider's 235.
  bool authenticated_ = false;
  std::string login_;
  std::string login_candidate_;
  std::string auth_mechanism_;
  int auth_step_ = 0;

  // transaction
  bool in_transaction_ = false;
  std::string mail_from_;
  std::vector<std::string> recipients_;
  std::unique_ptr<archive::Capture> capture_;
  bool end_of_data_sent_ = false;    // the dot / held BDAT byte went out: capture_ must never be aborted
  std::unique_ptr<DataDecoder> decoder_;
  DataFailure data_failure_ = DataFailure::kNone;
  std::string data_failure_detail_;
  std::string archive_chunk_, upstream_chunk_;
  uint64_t message_bytes_ = 0;
  // BDAT
  bool bdat_active_ = false;         // a BDAT message is in progress
  bool bdat_discarding_ = false;     // archive refused this message: chunks are consumed and refused
  bool bdat_last_ = false;
  uint64_t bdat_remaining_ = 0;
  std::string bdat_skip_reply_;      // non-empty: consume the chunk and answer this
  // The provider refused a chunk of this message (RFC 3030: the transaction
  // failed): later chunks are consumed, never forwarded, and answered with this.
  std::string bdat_failed_reply_;
  std::string bdat_held_;            // the final byte / "BDAT 0 LAST" withheld until sealed
  BareNewlineScanner bdat_scanner_;
  int messages_relayed_ = 0;
  int messages_held_ = 0;

  // approval hold (hold_gate.h); unused when env_.hold_gate is null
  bool approval_rcpt_ = false;       // the approval address is this transaction's only recipient
  bool command_mail_ = false;        // the DATA/BDAT body is a mail command: collected, never relayed
  bool command_too_big_ = false;
  std::string command_message_;      // at most HoldGate::kMaxCommandMessageBytes
  std::unique_ptr<HoldScreen> screen_;
  bool data_held_locally_ = false;   // D2: nothing of this message goes upstream
  bool screen_busy_ = false;         // Persist runs on a worker: the screen is the worker's
  bool reconnect_required_ = false;  // D7: upstream cut after a hold; the next command gets 421

  bool draining_ = false;
};

}  // namespace mailtee::smtp
