// SmtpSession, client side and lifetime.
// The class and its states: smtp_session.h; the protocol decisions: docs/smtp.md.
#include "proxy/smtp/smtp_session.h"

#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <chrono>
#include <cstring>

#include "archive/session_event.h"
#include "proxy/net/client_allow.h"
#include "proxy/net/discard.h"
#include "proxy/net/time_limits.h"
#include "proxy/smtp/sasl.h"
#include "proxy/smtp/session_detail.h"
#include "proxy/smtp/transcript.h"

namespace mailtee::smtp {

using namespace session_detail;

SmtpSession::SmtpSession(SmtpProxy* owner, const ProxyEnvironment& env, std::unique_ptr<net::Stream> client,
                         uint64_t serial)
    : owner_(owner),
      env_(env),
      listener_(*env.listener),
      session_tag_("smtp/" + env.listener->name + "#" + std::to_string(serial)),
      local_name_(HostName()),
      client_(std::move(client)),
      client_timer_(env.loop),
      upstream_timer_(env.loop),
      line_timer_(env.loop),
      body_timer_(env.loop),
      session_timer_(env.loop) {
  described_.client = client_->peer().text;
  described_.started_unix = static_cast<int64_t>(std::time(nullptr));
}

net::LiveSession SmtpSession::Snapshot() const {
  net::LiveSession out = described_;
  out.login = login_;
  out.tls = client_ && !client_closed_ && client_->is_tls();
  switch (phase_) {  // no default: a new phase must get a name here
    case Phase::kClientHandshake: out.state = "tls-handshake"; break;
    case Phase::kUpstreamSetup: out.state = "connecting-provider"; break;
    case Phase::kCommands: out.state = "commands"; break;
    case Phase::kAuthContinuation: out.state = "auth"; break;
    case Phase::kClientStartTls: out.state = "starttls"; break;
    case Phase::kData: out.state = "data"; break;
    case Phase::kBdatChunk: out.state = "bdat"; break;
    case Phase::kSealing: out.state = "sealing"; break;
    case Phase::kAwaitDataReply: out.state = "awaiting-provider"; break;
    case Phase::kCommitting: out.state = "committing"; break;
    case Phase::kHolding: out.state = "holding"; break;
    case Phase::kClosing: out.state = "closing"; break;
  }
  out.messages = messages_relayed_ + messages_held_;
  return out;
}

SmtpSession::~SmtpSession() {
  WipeString(&login_candidate_);
}

void SmtpSession::Log(archive::LogKind kind, const std::string& line, EventType type, EventCause cause,
                      uint64_t bytes) {
  if (!env_.log) return;
  archive::SessionEvent event{.kind = kind, .type = type, .text = line, .bytes = bytes, .cause = cause};
  event.tls = type == EventType::kEndedOk && client_ && client_->is_tls();
  event.protocol = "smtp";
  event.listener = listener_.name;
  event.source = session_tag_;
  env_.log->Record(event);
}

void SmtpSession::Transcript(std::string_view direction, std::string_view line) {
  if (!env_.transcripts || !env_.log) return;
  Log(archive::LogKind::kTranscript, std::string(direction) + " " + TranscriptText(line));
}

void SmtpSession::TranscriptSecret(std::string_view direction) {
  if (!env_.transcripts || !env_.log) return;
  Log(archive::LogKind::kTranscript, std::string(direction) + " " + std::string(kMaskedSecret));
}

// The archive key as logs show it: the authenticated login, else the envelope sender.
std::string SmtpSession::LogUser() const { return login_.empty() ? "<" + mail_from_ + ">" : login_; }

std::string SmtpSession::UpstreamName() const {
  if (!listener_.upstream) return "(none)";
  return listener_.upstream->host + ":" + std::to_string(listener_.upstream->port);
}

bool SmtpSession::ClientIsLoopback() const {
  const net::PeerAddress& p = client_->peer();
  if (p.family == AF_INET) return p.bytes[0] == 127;
  if (p.family == AF_INET6) {
    static const uint8_t kLoopback6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(p.bytes, kLoopback6, 16) == 0) return true;
    return memcmp(p.bytes, kMapped, 12) == 0 && p.bytes[12] == 127;
  }
  return false;
}

bool SmtpSession::AuthAllowedNow() const {
  if (listener_.auth.mode != config::AuthMode::kPassthrough) return false;
  if (client_->is_tls()) return true;
  return listener_.tls == config::TlsMode::kNone && ClientIsLoopback();
}

// ---------------------------------------------------------------- start-up

void SmtpSession::Start() {
  upstream_parser_.Reset();
  net::Stream::Callbacks cb;
  cb.on_data = [this](std::string_view b) { OnClientData(b); };
  cb.on_drained = [this] { UpdateClientReading(); Pump(); };
  cb.on_error = [this](const Status& s) { OnClientGone("client error: " + s.message()); };
  cb.on_eof = [this] { OnClientGone("client closed the connection"); };
  cb.on_closed = [this] {
    client_closed_ = true;
    MaybeFinish();
  };
  client_->SetCallbacks(std::move(cb));
  session_timer_.Start(static_cast<uint64_t>(listener_.timeouts.session_ms), [this] { OnSessionCeiling(); });
  const net::PeerAddress& peer = client_->peer();
  Log(archive::LogKind::kConnections, "accept client=" + peer.text + ":" + std::to_string(peer.port) +
                                          " listener=" + listener_.name + " tls=" + config::ToString(listener_.tls),
                                          EventType::kAccepted);

  // Never an open relay: account and none modes need an allow-list (an empty
  // one admits nobody), and an allow-list is always enforced.
  if (!net::ListenerAdmits(listener_, peer)) {
    phase_ = Phase::kClosing;
    WriteClient(MakeReply("554 5.7.1 relay not permitted from " + peer.text));
    Log(archive::LogKind::kConnections, "abort client=" + peer.text + " reason=not in allow list",
        EventType::kEndedAbort, EventCause::kNotAllowed);
    CloseAll("client not in allow list");
    return;
  }
  if (!listener_.upstream) {
    phase_ = Phase::kClosing;
    WriteClient(MakeReply("421 4.3.5 no provider configured for listener " + listener_.name));
    CloseAll("no upstream configured");
    return;
  }
  if (listener_.tls == config::TlsMode::kImplicit) {
    if (!env_.server_tls) {
      phase_ = Phase::kClosing;
      CloseAll("implicit TLS listener without a server certificate");
      return;
    }
    phase_ = Phase::kClientHandshake;
    ArmClientTimer();  // a client that never completes the handshake is dropped
    client_->StartTlsServer(env_.server_tls, [this](const Status& s) {
      if (phase_ == Phase::kClosing) return;
      if (!s.ok()) {
        Log(archive::LogKind::kConnections, "abort client=" + client_->peer().text + " reason=" + s.message(),
            EventType::kEndedAbort, EventCause::kTlsHandshake);
        phase_ = Phase::kClosing;
        CloseAll("client TLS handshake failed");
        return;
      }
      ConnectUpstream();
    });
    return;
  }
  ConnectUpstream();
}

void SmtpSession::ConnectUpstream() {
  phase_ = Phase::kUpstreamSetup;
  setup_ = SetupStep::kConnect;
  const config::Upstream& up = *listener_.upstream;
  ArmClientTimer();
  ++pending_work_;  // the connect callback must find us alive
  net::Connect(env_.loop, up.host, up.port, listener_.timeouts.greeting,
               [this](Status s, std::unique_ptr<net::Stream> stream) { OnUpstreamConnected(std::move(s), std::move(stream)); });
}

void SmtpSession::OnUpstreamConnected(Status status, std::unique_ptr<net::Stream> stream) {
  --pending_work_;
  if (phase_ == Phase::kClosing) {
    net::CloseAndDiscard(std::move(stream));  // arrived after we gave up
    MaybeFinish();
    return;
  }
  if (!status.ok()) {
    SetupFailed("421 4.4.1 provider " + UpstreamName() + " unreachable: " + status.message(), EventCause::kProvider);
    return;
  }
  upstream_ = std::move(stream);
  upstream_closed_ = false;
  net::Stream::Callbacks cb;
  cb.on_data = [this](std::string_view b) { OnUpstreamData(b); };
  cb.on_drained = [this] {
    if (paused_for_upstream_) {
      paused_for_upstream_ = false;
      UpdateClientReading();
      Pump();
    }
  };
  cb.on_error = [this](const Status& s) { OnUpstreamGone(s.message()); };
  cb.on_eof = [this] { OnUpstreamGone("provider " + UpstreamName() + " closed the connection"); };
  cb.on_closed = [this] {
    upstream_closed_ = true;
    MaybeFinish();
  };
  upstream_->SetCallbacks(std::move(cb));
  const config::Upstream& up = *listener_.upstream;
  if (up.tls == config::TlsMode::kImplicit) {
    setup_ = SetupStep::kTlsHandshake;
    ArmUpstreamTimer(listener_.timeouts.greeting);
    upstream_->StartTlsClient(env_.upstream_tls, up.host, up.verify, [this](const Status& s) {
      if (phase_ == Phase::kClosing) return;
      if (!s.ok()) {
        SetupFailed("421 4.4.1 provider " + UpstreamName() + " unreachable: " + s.message(), EventCause::kProvider);
        return;
      }
      if (setup_ == SetupStep::kTlsHandshake) setup_ = SetupStep::kGreeting;
    });
    return;
  }
  setup_ = SetupStep::kGreeting;
  ArmUpstreamTimer(listener_.timeouts.greeting);
}

void SmtpSession::SetupFailed(const std::string& reply_line, EventCause cause) {
  if (phase_ == Phase::kClosing) return;
  Log(archive::LogKind::kConnections, "abort client=" + client_->peer().text + " reason=" + reply_line,
      EventType::kEndedAbort, cause);
  WriteClient(MakeReply(reply_line));
  CloseAll(reply_line);
}

void SmtpSession::SendUpstream(std::string_view bytes, int timeout_seconds, Wire kind) {
  if (kind == Wire::kCommand) Transcript("P>", bytes);
  else if (kind == Wire::kSecret) TranscriptSecret("P>");
  upstream_->Write(bytes);
  ArmUpstreamTimer(timeout_seconds);
}

void SmtpSession::ArmUpstreamTimer(int seconds) {
  upstream_timer_.Start(static_cast<uint64_t>(seconds) * 1000, [this] {
    if (phase_ == Phase::kClosing) return;
    bool before_greeting = phase_ == Phase::kUpstreamSetup;
    std::string line = before_greeting ? "421 4.4.2 provider " + UpstreamName() + " did not answer"
                                       : "451 4.4.2 provider did not answer";
    Log(archive::LogKind::kConnections, "abort client=" + client_->peer().text + " reason=provider timeout",
        EventType::kEndedAbort, EventCause::kProvider);
    if (phase_ == Phase::kAwaitDataReply && capture_) {
      CommitUnknownVerdict("provider did not answer the end of data", line);
      return;
    }
    if (capture_ && pending_work_ == 0) {
      capture_->Abort("provider did not answer");
      capture_.reset();
    }
    WriteClient(MakeReply(line));
    CloseAll("provider timeout");
  });
}

void SmtpSession::ArmClientTimer() {
  bool in_body = phase_ == Phase::kData || phase_ == Phase::kBdatChunk;
  int seconds = in_body ? listener_.timeouts.data_block : listener_.timeouts.command;
  client_timer_.Start(static_cast<uint64_t>(seconds) * 1000, [this] {
    bool client_turn = phase_ == Phase::kCommands || phase_ == Phase::kAuthContinuation ||
                       phase_ == Phase::kData || phase_ == Phase::kBdatChunk;
    bool awaiting_provider = false;
    for (const Pending& p : pending_)
      if (ExpectsUpstreamReply(p.expect)) awaiting_provider = true;
    // Implicit TLS or STARTTLS: the client owes us the handshake. After our
    // STARTTLS 220 no plaintext reply may follow, so the close is silent.
    if (phase_ == Phase::kClientHandshake || phase_ == Phase::kClientStartTls) {
      Log(archive::LogKind::kConnections, "abort client=" + client_->peer().text + " reason=TLS handshake timeout",
          EventType::kEndedAbort, EventCause::kTlsHandshake);
      CloseAll("client TLS handshake timeout");
      return;
    }
    if (paused_for_upstream_) {
      ProviderStalled();  // we stopped reading the client: the provider is the slow side
      return;
    }
    if (!client_turn || (phase_ == Phase::kCommands && awaiting_provider)) {
      ArmClientTimer();  // we are the slow side (provider, disk): their own timeouts apply
      return;
    }
    Log(archive::LogKind::kConnections, "abort client=" + client_->peer().text + " reason=client timeout",
        EventType::kEndedAbort);
    if (capture_) {
      capture_->Abort("client timed out");
      capture_.reset();
    }
    WriteClient(MakeReply("421 4.4.2 " + local_name_ + " timeout, closing connection"));
    CloseAll("client timeout");
  });
}

// ---------------------------------------------------------------- time limits
// The idle timers above are re-armed by every byte, so alone they let one byte
// every few seconds hold the session and its provider connection forever.
// These are not reset by bytes (docs/smtp.md "Time limits").

void SmtpSession::UpdateClientDeadlines() {
  if (phase_ == Phase::kClosing) return;
  // A command (or SASL) line the client started must be complete line_ms later.
  // Only while the client owes it: not while we have unparsed bytes (we are the slow side).
  bool owes_line = (phase_ == Phase::kCommands || phase_ == Phase::kAuthContinuation) &&
                   inbox_offset_ >= inbox_.size() && reader_.has_partial_line();
  if (!owes_line) {
    line_timer_.Stop();
  } else if (!line_timer_.active()) {
    line_timer_.Start(static_cast<uint64_t>(listener_.timeouts.line_ms), [this] { OnLineDeadline(); });
  }
  // The body: the client's time counts only while it is the client's turn
  // (not while reading is paused because the provider is slow).
  const uint64_t now = uv_now(env_.loop);
  bool body_turn = (phase_ == Phase::kData || phase_ == Phase::kBdatChunk) && !paused_for_upstream_;
  if (!body_turn || !body_budget_.enabled()) {
    body_budget_.Hold(now);
    body_timer_.Stop();
    return;
  }
  body_budget_.Run(now);
  body_timer_.Start(std::max<uint64_t>(1, body_budget_.RemainingMs(now)), [this] { OnBodyDeadline(); });
}

void SmtpSession::OnLineDeadline() {
  if (phase_ != Phase::kCommands && phase_ != Phase::kAuthContinuation) return;
  CutSlowClient(net::LineDeadlineReason(static_cast<uint64_t>(listener_.timeouts.line_ms)));
}

void SmtpSession::OnBodyDeadline() {
  if ((phase_ != Phase::kData && phase_ != Phase::kBdatChunk) || paused_for_upstream_) return;
  if (body_budget_.RemainingMs(uv_now(env_.loop)) > 0) {
    UpdateClientDeadlines();
    return;
  }
  CutSlowClient("message data slower than " + std::to_string(listener_.timeouts.min_data_rate) +
                " bytes/s on average");
}

void SmtpSession::OnSessionCeiling() {
  const std::string why = net::SessionCeilingReason(static_cast<uint64_t>(listener_.timeouts.session_ms));
  switch (phase_) {
    case Phase::kClosing:
      return;
    case Phase::kClientHandshake:
    case Phase::kClientStartTls:  // no plaintext reply may follow our STARTTLS 220
      Log(archive::LogKind::kConnections, "abort client=" + client_->peer().text + " reason=client timeout (" + why + ")");
      CloseAll("client timeout: " + why);
      return;
    case Phase::kSealing:
    case Phase::kAwaitDataReply:
    case Phase::kCommitting:
    case Phase::kHolding:
      // The client sent the whole message: it gets the verdict first, then
      // Pump closes the session (the provider's data_end timeout bounds the wait).
      session_expired_ = true;
      return;
    default:
      CutSlowClient(why);
  }
}

// A client over one of the limits above: 421 and close. Inside DATA/BDAT the
// upstream is cut without the final dot, so the provider drops the message.
void SmtpSession::CutSlowClient(const std::string& why) {
  Log(archive::LogKind::kConnections, "abort client=" + client_->peer().text + " reason=client timeout (" + why + ")");
  if (capture_ && pending_work_ == 0 && !end_of_data_sent_) {
    capture_->Abort("client timed out: " + why);
    capture_.reset();
  }
  WriteClient(MakeReply("421 4.4.2 " + local_name_ + " timeout (" + why + "), closing connection"));
  CloseAll("client timeout: " + why);
}

// The provider stopped taking our writes (its receive window stayed full), so
// the client was paused and went quiet. Report it as what it is: a provider
// timeout (log and reply), not a client timeout. Inside DATA/BDAT only cutting
// the upstream drops the message without delivering it.
void SmtpSession::ProviderStalled() {
  Log(archive::LogKind::kConnections,
      "abort client=" + client_->peer().text + " reason=provider timeout (provider stopped accepting data)",
      EventType::kEndedAbort, EventCause::kProvider);
  std::string line = "451 4.4.2 provider " + UpstreamName() + " stopped accepting data";
  if (capture_ && pending_work_ == 0 && !end_of_data_sent_) {
    Log(archive::LogKind::kFailed, "id=" + capture_->id() + " client=" + client_->peer().text + " from=<" +
                                       mail_from_ + "> reply=" + line + " (not relayed: provider timeout)",
                                       EventType::kFailed);
    capture_->Abort("provider stopped accepting data");
    capture_.reset();
  }
  upstream_aborted_ = true;
  WriteClient(MakeReply(line));
  CloseAll("provider timeout");
}

// ---------------------------------------------------------------- client input

void SmtpSession::OnClientData(std::string_view bytes) {
  if (phase_ == Phase::kClosing || client_gone_) return;
  ArmClientTimer();
  if (phase_ == Phase::kData || phase_ == Phase::kBdatChunk) body_budget_.Add(bytes.size());
  if (inbox_offset_ == inbox_.size()) {
    inbox_.clear();
    inbox_offset_ = 0;
  } else if (inbox_offset_ > (64 << 10)) {
    inbox_.erase(0, inbox_offset_);
    inbox_offset_ = 0;
  }
  inbox_.append(bytes);
  UpdateClientReading();
  Pump();
}

void SmtpSession::UpdateClientReading() {
  if (phase_ == Phase::kClosing || client_gone_ || !client_) return;
  bool pause = paused_for_upstream_ || inbox_.size() - inbox_offset_ >= kMaxInbox ||
               client_->pending_write_bytes() > net::kHighWatermark;
  if (pause != reading_paused_) {
    reading_paused_ = pause;
    if (pause) client_->PauseReading();
    else client_->ResumeReading();
  }
}

void SmtpSession::OnClientGone(const std::string& reason) {
  if (phase_ == Phase::kClosing) return;
  if (phase_ == Phase::kSealing || phase_ == Phase::kAwaitDataReply || phase_ == Phase::kCommitting ||
      phase_ == Phase::kHolding) {
    // The end of data was received: keep the upstream until the provider's
    // verdict is recorded, so the archive matches what was relayed.
    client_gone_ = true;
    if (!client_->closing()) client_->Close();
    return;
  }
  Log(archive::LogKind::kConnections, "abort client=" + client_->peer().text + " reason=" + reason,
      EventType::kEndedAbort);
  if (capture_) {
    capture_->Abort(reason);  // the final dot was never sent: the provider discards the message
    capture_.reset();
  }
  CloseAll(reason);
}

void SmtpSession::Pump() {
  if (session_expired_ && phase_ == Phase::kCommands) {  // the verdict is out: now the ceiling applies
    OnSessionCeiling();
    return;
  }
  while (true) {
    FlushReadyReplies();
    if (phase_ == Phase::kData) {
      FeedData();
      if (phase_ == Phase::kData) break;
      continue;
    }
    if (phase_ == Phase::kBdatChunk) {
      FeedBdatChunk();
      if (phase_ == Phase::kBdatChunk) break;
      continue;
    }
    if (phase_ != Phase::kCommands && phase_ != Phase::kAuthContinuation) break;
    if (barrier_) {
      if (!pending_.empty()) break;
      barrier_ = false;
    }
    if (client_->pending_write_bytes() > net::kHighWatermark) break;  // client not reading its replies
    // Bounded pipelining (like Postfix): with this many commands awaiting
    // replies, or the provider not taking our writes, stop parsing; the inbox
    // then fills and kMaxInbox pauses the client.
    if (pending_.size() >= kMaxPendingCommands) break;
    if (upstream_ && upstream_->pending_write_bytes() > net::kHighWatermark) {
      paused_for_upstream_ = true;  // the upstream's on_drained resumes us
      break;
    }
    if (inbox_offset_ >= inbox_.size()) break;
    LineReader::Event ev;
    size_t used = reader_.Feed(std::string_view(inbox_).substr(inbox_offset_), &ev);
    inbox_offset_ += used;
    if (ev.kind == LineReader::Kind::kNeedMore) break;
    line_timer_.Stop();  // the line is complete: the next one gets its own deadline
    if (phase_ == Phase::kAuthContinuation) HandleSaslResponse(ev);
    else HandleLine(ev);
  }
  UpdateClientReading();
  UpdateClientDeadlines();
  if (draining_ && Idle()) {
    WriteClient(MakeReply("421 4.3.2 " + local_name_ + " service shutting down"));
    CloseAll("draining");
  }
}

bool SmtpSession::Idle() const {
  return phase_ == Phase::kCommands && pending_.empty() && !in_transaction_ && !capture_ &&
         inbox_offset_ >= inbox_.size() && !reader_.has_partial_line();
}

void SmtpSession::Drain() {
  draining_ = true;
  if (phase_ == Phase::kUpstreamSetup || phase_ == Phase::kClientHandshake) {
    if (phase_ == Phase::kUpstreamSetup) WriteClient(MakeReply("421 4.3.2 " + local_name_ + " service shutting down"));
    CloseAll("draining");
    return;
  }
  if (Idle()) Pump();
}

void SmtpSession::QueueLocal(std::string reply_line, bool close_after) {
  Pending p;
  p.expect = Expect::kLocal;
  p.local = MakeReply(reply_line);
  p.close_after = close_after;
  pending_.push_back(std::move(p));
  if (close_after) barrier_ = true;
}

void SmtpSession::Relay(const Command& command, Expect expect, std::string path) {
  Pending p;
  p.expect = expect;
  p.path = std::move(path);
  bool arm = pending_.empty() || !upstream_timer_.active();
  pending_.push_back(std::move(p));
  std::string wire = command.ToWire();
  Transcript("P>", wire);  // an AUTH initial response is masked by TranscriptText
  upstream_->Write(wire);
  if (command.verb == Verb::kAuth) WipeString(&wire);
  if (arm) ArmUpstreamTimer(listener_.timeouts.command);
  // Without PIPELINING at the provider, one command at a time.
  if (!caps_.pipelining) barrier_ = true;
}

void SmtpSession::FlushReadyReplies() {
  while (!pending_.empty() && phase_ != Phase::kClosing) {
    Pending& head = pending_.front();
    if (head.expect == Expect::kLocal) {
      Pending p = std::move(head);
      pending_.pop_front();
      WriteClient(p.local);
      if (p.close_after) {
        CloseAll("closed after local reply " + std::to_string(p.local.code));
        return;
      }
      continue;
    }
    if (head.expect == Expect::kStartTls) {
      pending_.pop_front();
      DoClientStartTls();
      return;
    }
    if (head.expect == Expect::kApprovalRcpt) {
      Pending gate = std::move(head);
      pending_.pop_front();
      RunApprovalRcptGate(gate);
      continue;
    }
    if (head.expect == Expect::kDataGate) {
      pending_.pop_front();
      StartDataCommand();
      continue;
    }
    if (head.expect == Expect::kBdatGate) {
      Pending gate = std::move(head);
      pending_.pop_front();
      StartBdatChunk(gate.chunk_size, gate.last);
      // An empty chunk is finished at once (its reply may be local and ready):
      // keep flushing instead of waiting for the client to send more.
      if (phase_ == Phase::kCommands) continue;
      return;
    }
    return;
  }
}

void SmtpSession::WriteClient(const Reply& reply) {
  if (client_gone_ || !client_ || client_->closing()) return;
  std::string wire = reply.ToWire();
  Transcript("C<", wire);
  client_->Write(wire);
}

void SmtpSession::HandleLine(const LineReader::Event& ev) {
  Transcript("C>", ev.kind == LineReader::Kind::kTooLong ? std::string_view("(line too long)") : ev.line);
  if (reconnect_required_) {
    // The upstream was cut to keep a held message from the provider (hold_gate.h D7).
    QueueLocal("421 4.3.0 transaction aborted; please reconnect", /*close_after=*/true);
    return;
  }
  if (ev.kind == LineReader::Kind::kTooLong) {
    QueueLocal("500 5.5.2 line too long");
    return;
  }
  if (ev.bare_cr) {
    QueueLocal("500 5.5.2 bare CR in command; use CRLF line endings");
    return;
  }
  if (ev.bare_lf && listener_.bare_newline == config::BareNewline::kReject) {
    QueueLocal("500 5.5.2 bare LF in command; use CRLF line endings");
    return;
  }
  ParsedCommand parsed = ParseCommand(ev.line);
  if (!parsed.ok) {
    QueueLocal(parsed.error);
    return;
  }
  HandleCommand(std::move(parsed.command));
}

void SmtpSession::HandleCommand(Command c) {
  switch (c.verb) {
    case Verb::kEhlo:
      Relay(c, Expect::kEhlo);
      barrier_ = true;
      return;
    case Verb::kHelo:
      Relay(c, Expect::kHelo);
      barrier_ = true;
      return;
    case Verb::kStartTls:
      if (listener_.tls != config::TlsMode::kStartTls || !env_.server_tls) {
        QueueLocal("454 4.7.0 TLS not available");
      } else if (client_->is_tls()) {
        QueueLocal("503 5.5.1 TLS already active");
      } else {
        Pending p;
        p.expect = Expect::kStartTls;
        pending_.push_back(std::move(p));
        barrier_ = true;
      }
      return;
    case Verb::kAuth: {
      if (listener_.auth.mode != config::AuthMode::kPassthrough) {
        QueueLocal("503 5.5.1 authentication is not offered here");
        return;
      }
      if (!AuthAllowedNow()) {
        QueueLocal("538 5.7.11 encryption required for requested authentication mechanism");
        return;
      }
      if (authenticated_) {
        QueueLocal("503 5.5.1 already authenticated");
        return;
      }
      if (in_transaction_) {
        QueueLocal("503 5.5.1 AUTH not permitted during a mail transaction");
        return;
      }
      bool relayable = false;
      for (const char* m : kRelayableMechanisms)
        if (c.argument == m) relayable = true;
      if (!relayable || !caps_.OffersAuth(c.argument)) {
        QueueLocal("504 5.5.4 unrecognized authentication mechanism");
        return;
      }
      auth_mechanism_ = c.argument;
      auth_step_ = 0;
      WipeString(&login_candidate_);
      if (c.initial_response && *c.initial_response != "=") {
        std::optional<std::string> login;
        if (c.argument == "PLAIN") login = LoginFromPlain(*c.initial_response);
        else if (c.argument == "LOGIN") login = LoginFromLoginUsername(*c.initial_response);
        if (login) login_candidate_ = *login;
        auth_step_ = 1;
      }
      Relay(c, Expect::kAuth);
      if (c.initial_response) WipeConsumedSecret();
      barrier_ = true;
      return;
    }
    case Verb::kMail: {
      if (draining_) {
        QueueLocal("421 4.3.2 " + local_name_ + " service shutting down", /*close_after=*/true);
        return;
      }
      // Before AUTH's check: on an account/none listener the client never
      // logs in, and without this its mail would cross the LAN in clear.
      if (listener_.require_tls && !client_->is_tls()) {
        QueueLocal("530 5.7.0 Must issue a STARTTLS command first");
        return;
      }
      if (!authenticated_) {
        QueueLocal("530 5.7.0 authentication required");
        return;
      }
      // RFC 1870: a declared size over the limit is refused before any byte is sent.
      uint64_t limit = MessageSizeLimit();
      if (const std::string* size = c.FindParam("SIZE"); size && limit && DeclaredSizeExceeds(*size, limit)) {
        QueueLocal("552 5.3.4 message size exceeds fixed maximum message size of " + std::to_string(limit) + " bytes");
        return;
      }
      std::string path = c.path;
      Relay(c, Expect::kMail, path);
      return;
    }
    case Verb::kRcpt: {
      // RFC 5321 4.5.3.1.10: past the cap, 452 (the client sends the rest in another transaction).
      if (RecipientsCounted() >= listener_.max_recipients) {
        QueueLocal("452 4.5.3 too many recipients");
        return;
      }
      std::string path = c.path;
      if (env_.hold_gate && env_.hold_gate->IsApprovalAddress(path)) {
        QueueApprovalRcpt(path);  // answered here, never relayed (hold_gate.h R1)
        return;
      }
      Relay(c, Expect::kRcpt, path);
      return;
    }
    case Verb::kData: {
      // Decided only once the replies to the MAIL/RCPT pipelined before it are
      // in: whether there is a transaction, and who its recipients are.
      Pending p;
      p.expect = Expect::kDataGate;
      pending_.push_back(std::move(p));
      barrier_ = true;
      return;
    }
    case Verb::kBdat: {
      // The chunk bytes follow the command at once: nothing after it can be
      // parsed until the gate has run and the chunk has been consumed.
      Pending p;
      p.expect = Expect::kBdatGate;
      p.chunk_size = c.chunk_size;
      p.last = c.last;
      pending_.push_back(std::move(p));
      barrier_ = true;
      return;
    }
    case Verb::kRset:
      Relay(c, Expect::kRset);
      return;
    case Verb::kQuit:
      Relay(c, Expect::kQuit);
      barrier_ = true;
      return;
    case Verb::kNoop:
    case Verb::kVrfy:
    case Verb::kHelp:
      Relay(c, Expect::kVerbatim);
      return;
  }
}

archive::MessageContext SmtpSession::MakeContext() const {
  archive::MessageContext ctx;
  ctx.direction = archive::Direction::kSent;
  ctx.protocol = "smtp";
  ctx.listener = listener_.name;
  ctx.user = login_;
  ctx.client_ip = client_->peer().text;
  ctx.received_at = std::chrono::system_clock::now();
  ctx.envelope_from = mail_from_;
  ctx.envelope_to = recipients_;
  ctx.upstream = UpstreamName();
  return ctx;
}

void SmtpSession::StartDataCommand() {
  Command data;
  data.verb = Verb::kData;
  if (bdat_active_) {
    QueueLocal("503 5.5.1 DATA not permitted inside a BDAT transaction");
    return;
  }
  if (in_transaction_ && approval_rcpt_) {
    StartCommandMail();  // hold_gate.h C1: answered here, the body is never relayed
    return;
  }
  if (!in_transaction_ || recipients_.empty()) {
    // Let the provider give its own 503/554, but never open a capture for it.
    Relay(data, Expect::kData);
    barrier_ = true;
    return;
  }
  Status s = env_.sink->Begin(MakeContext(), &capture_);
  if (!s.ok()) {
    capture_.reset();
    Log(archive::LogKind::kSystem, "archive unavailable, DATA refused: " + s.message(), EventType::kError);
    QueueLocal("452 4.3.1 archive storage unavailable, try again later");
    return;
  }
  OpenScreen();
  if (data_held_locally_) {
    // hold_gate.h D2: the envelope alone holds this message, so DATA never
    // goes upstream and the provider's session stays usable.
    WriteClient(MakeReply("354 End data with <CR><LF>.<CR><LF>"));
    BeginData();
    return;
  }
  Relay(data, Expect::kData);
  barrier_ = true;
}

void SmtpSession::HandleSaslResponse(const LineReader::Event& ev) {
  phase_ = Phase::kCommands;
  std::string line(ev.line);
  if (ev.kind == LineReader::Kind::kTooLong || !IsBase64Line(line)) {
    WipeString(&line);
    line = "*";  // cancel the exchange; the provider answers 501
  }
  // A SASL response is a credential whatever it looks like (only "*" is not).
  if (line == "*") Transcript("C>", line);
  else TranscriptSecret("C>");
  if (auth_step_ == 0 && line != "*") {
    std::optional<std::string> login;
    if (auth_mechanism_ == "PLAIN") login = LoginFromPlain(line);
    else if (auth_mechanism_ == "LOGIN") login = LoginFromLoginUsername(line);
    else if (auth_mechanism_ == "CRAM-MD5") login = LoginFromCramMd5(line);
    if (login) login_candidate_ = *login;
  }
  ++auth_step_;
  WipeConsumedSecret();
  Pending p;
  p.expect = Expect::kAuth;
  pending_.push_back(std::move(p));
  barrier_ = true;
  if (line == "*") Transcript("P>", line);
  else TranscriptSecret("P>");
  line += "\r\n";
  upstream_->Write(line);
  WipeString(&line);
  ArmUpstreamTimer(listener_.timeouts.command);
}

// SASL responses (passwords in PLAIN / LOGIN) must not linger in our buffers:
// zero the line the reader handed out and the consumed part of the inbox.
void SmtpSession::WipeConsumedSecret() {
  reader_.WipeLastLine();
  std::fill(inbox_.begin(), inbox_.begin() + static_cast<std::ptrdiff_t>(inbox_offset_), '\0');
}

void SmtpSession::DoClientStartTls() {
  // RFC 3207: everything the client pipelined after STARTTLS is discarded.
  WriteClient(MakeReply("220 2.0.0 ready to start TLS"));
  inbox_.clear();
  inbox_offset_ = 0;
  reader_.Reset();
  phase_ = Phase::kClientStartTls;
  ResetBothSides();
  client_ehlo_done_ = false;
  client_->StartTlsServer(env_.server_tls, [this](const Status& s) {
    if (phase_ == Phase::kClosing) return;
    if (!s.ok()) {
      Log(archive::LogKind::kConnections, "abort client=" + client_->peer().text + " reason=" + s.message(),
          EventType::kEndedAbort, EventCause::kTlsHandshake);
      CloseAll("client STARTTLS handshake failed");
      return;
    }
    phase_ = Phase::kCommands;
    ArmClientTimer();
    Pump();
  });
}

// ---------------------------------------------------------------- lifetime

namespace {
struct WorkItem {
  uv_work_t request;
  std::function<Status()> job;
  std::function<void(const Status&)> done;
  Status result;
};
}  // namespace

void SmtpSession::RunOnWorker(std::function<Status()> job, std::function<void(const Status&)> done) {
  auto* item = new WorkItem{};
  item->request.data = item;
  item->job = std::move(job);
  // The session stays alive while work is queued (MaybeFinish waits for pending_work_ == 0).
  item->done = [this, done = std::move(done)](const Status& s) {
    --pending_work_;
    done(s);
    MaybeFinish();
  };
  ++pending_work_;
  int rc = uv_queue_work(
      env_.loop, &item->request, [](uv_work_t* req) {
        auto* w = static_cast<WorkItem*>(req->data);
        w->result = w->job();
      },
      [](uv_work_t* req, int status) {
        std::unique_ptr<WorkItem> w(static_cast<WorkItem*>(req->data));
        if (status != 0) w->result = Status::Error(std::string("worker cancelled: ") + uv_strerror(status));
        w->done(w->result);
      });
  if (rc != 0) {
    std::unique_ptr<WorkItem> w(item);
    w->done(Status::Error(std::string("cannot queue archive work: ") + uv_strerror(rc)));
  }
}

void SmtpSession::CloseAll(const std::string& why) {
  phase_ = Phase::kClosing;
  client_timer_.Stop();
  upstream_timer_.Stop();
  line_timer_.Stop();
  body_timer_.Stop();
  session_timer_.Stop();
  if (capture_ && pending_work_ == 0 && end_of_data_sent_) {
    // The provider may have the message: record it as unknown, never delete it.
    archive::Capture* capture = capture_.get();
    archive::Outcome outcome;
    outcome.kind = archive::Outcome::Kind::kUnknown;
    outcome.reply = "provider's verdict not received after the end of data (" + why + ")";
    outcome.relayed_at = std::chrono::system_clock::now();
    RunOnWorker([capture, outcome] { return capture->Commit(outcome); }, [this](const Status&) {
      capture_.reset();  // committed, or left sealed for Recover()
      end_of_data_sent_ = false;
    });
  } else if (capture_ && pending_work_ == 0) {
    capture_->Abort(why);
    capture_.reset();
  }
  DiscardScreen();  // not while Persist runs: OnHoldRecorded finishes it
  if (client_ && !client_->closing()) client_->Close();
  if (upstream_ && !upstream_->closing()) upstream_->Close();
  MaybeFinish();
}

void SmtpSession::MaybeFinish() {
  if (phase_ != Phase::kClosing) return;
  if (!client_closed_ || !upstream_closed_ || pending_work_ > 0 || finished_reported_) return;
  if (capture_) {
    // After the end of data the sealed spool is left for Recover(), never deleted.
    if (!end_of_data_sent_) capture_->Abort("session ended");
    capture_.reset();
  }
  DiscardScreen();
  finished_reported_ = true;
  owner_->SessionFinished(this);
}

}  // namespace mailtee::smtp
