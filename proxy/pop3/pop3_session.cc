#include "proxy/pop3/pop3_session.h"

#include <arpa/inet.h>
#include <uv.h>

#include <algorithm>
#include <chrono>
#include <ctime>

#include "proxy/net/client_allow.h"
#include "proxy/net/time_limits.h"
#include "proxy/pop3/capa_filter.h"
#include "proxy/pop3/greeting.h"

namespace mailtee::pop3 {
namespace {

bool IsLoopbackAddress(const std::string& address) {
  if (address == "localhost") return true;
  in_addr v4;
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6;
  if (inet_pton(AF_INET6, address.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

// A name for the log with every control character shown as '?', so that no
// log line can be split or carry a smuggled command (ParseCommand already
// refuses such lines; this keeps Describe safe on its own).
std::string Printable(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  return out;
}

// What the POP3 log shows of a command: never PASS's argument, never AUTH data
// (only the mechanism name; the initial response is never shown).
std::string Describe(const Command& c) {
  std::string out = VerbName(c.verb);
  switch (c.verb) {
    case Verb::kUser: case Verb::kApop: case Verb::kAuth: return out + " " + Printable(c.name);
    case Verb::kTop: return out + " " + std::to_string(c.number) + " " + std::to_string(c.lines);
    default: break;
  }
  if (c.has_number) out += " " + std::to_string(c.number);
  return out;
}

ResponseShape ShapeOf(const Command& c) {
  switch (c.verb) {
    case Verb::kCapa: case Verb::kRetr: case Verb::kTop: return ResponseShape::kMultiLineIfOk;
    case Verb::kList: case Verb::kUidl:
      return c.has_number ? ResponseShape::kSingleLine : ResponseShape::kMultiLineIfOk;
    case Verb::kAuth: return ResponseShape::kSasl;
    default: return ResponseShape::kSingleLine;
  }
}

}  // namespace

struct Pop3Session::CommitJob {
  uv_work_t request;
  Pop3Session* session;
  std::unique_ptr<archive::Capture> capture;
  archive::Outcome outcome;
  Status result;
  std::string what;  // "RETR 3"
  uint64_t size = 0;
};

Pop3Session::Pop3Session(Pop3Proxy* proxy, std::unique_ptr<net::Stream> client)
    : proxy_(proxy),
      env_(proxy->env()),
      client_(std::move(client)),
      timer_(proxy->env().loop),
      line_timer_(proxy->env().loop),
      session_timer_(proxy->env().loop),
      body_timer_(proxy->env().loop) {
  client_ip_ = client_->peer().text;
  started_unix_ = static_cast<int64_t>(std::time(nullptr));
  const config::Upstream& up = *env_.listener->upstream;
  upstream_name_ = up.host + ":" + std::to_string(up.port);
}

Pop3Session::~Pop3Session() = default;

net::LiveSession Pop3Session::Snapshot() const {
  net::LiveSession out;
  out.client = client_ip_;
  out.login = login_;
  out.tls = client_ && !client_closed_ && client_->is_tls();
  out.started_unix = started_unix_;
  out.messages = retrieved_;
  switch (phase_) {  // no default: a new phase must get a name here
    case Phase::kClientHandshake: out.state = "tls-handshake"; break;
    case Phase::kConnecting: out.state = "connecting-provider"; break;
    case Phase::kUpstreamHandshake: out.state = "provider-tls"; break;
    case Phase::kUpstreamGreeting: out.state = "provider-greeting"; break;
    case Phase::kUpstreamStls: out.state = "provider-stls"; break;
    case Phase::kRelaying: out.state = pending_commits_ > 0 ? "archiving" : "relaying"; break;
    case Phase::kClosing: out.state = "closing"; break;
  }
  return out;
}

// ---- setup ---------------------------------------------------------------------

void Pop3Session::Start() {
  Log(archive::LogKind::kConnections, "accept", EventType::kAccepted);
  net::Stream::Callbacks cb;
  cb.on_data = [this](std::string_view data) { OnClientData(data); };
  cb.on_drained = [this] {
    if (upstream_paused_ && upstream_ && !upstream_->closing()) {
      upstream_paused_ = false;
      upstream_->ResumeReading();
      UpdateBodyDeadline();
    }
  };
  cb.on_error = [this](const Status& s) { CloseAll("client error: " + s.message(), ""); };
  cb.on_eof = [this] { CloseAll("client closed the connection", ""); };
  cb.on_closed = [this] {
    client_closed_ = true;
    MaybeFinish();
  };
  client_->SetCallbacks(std::move(cb));
  if (!net::ListenerAdmits(*env_.listener, client_->peer())) {
    // Refused before anything else: no provider connection, no TLS handshake.
    // On an implicit-TLS listener the client expects TLS, so a plaintext -ERR
    // would only read as a broken handshake: the connection just closes.
    bool plaintext = env_.listener->tls != config::TlsMode::kImplicit;
    CloseAll("not in allow list", plaintext ? "-ERR [SYS/PERM] connections from " + client_ip_ +
                                                  " are not allowed on this listener"
                                            : "",
             EventCause::kNotAllowed);
    return;
  }
  ArmTimer();
  session_timer_.Start(static_cast<uint64_t>(env_.listener->timeouts.session_ms), [this] { OnSessionCeiling(); });
  if (env_.listener->tls != config::TlsMode::kImplicit) {
    ConnectUpstream();
    return;
  }
  if (!env_.server_tls) {
    CloseAll("implicit TLS listener without a server TLS context", "");
    return;
  }
  phase_ = Phase::kClientHandshake;
  client_->StartTlsServer(env_.server_tls, [this](const Status& s) {
    if (phase_ == Phase::kClosing) return;
    if (!s.ok()) {
      CloseAll("client TLS handshake failed: " + s.message(), "", EventCause::kTlsHandshake);
      return;
    }
    ConnectUpstream();
  });
}

void Pop3Session::ConnectUpstream() {
  phase_ = Phase::kConnecting;
  const config::Upstream& up = *env_.listener->upstream;
  ++pending_ops_;
  // Cancellable, so a client that hangs up (or a drain) need not wait for the
  // connect timeout before the session can be freed.
  connecting_ = net::StartConnect(env_.loop, up.host, up.port, env_.listener->timeouts.greeting,
                                  [this](Status s, std::unique_ptr<net::Stream> stream) {
                                    connecting_.reset();
                                    --pending_ops_;
                                    OnUpstreamConnected(std::move(s), std::move(stream));
                                  });
}

void Pop3Session::OnUpstreamConnected(Status status, std::unique_ptr<net::Stream> stream) {
  if (stream) {
    upstream_ = std::move(stream);
    upstream_closed_ = false;
    net::Stream::Callbacks cb;
    cb.on_data = [this](std::string_view data) { OnUpstreamData(data); };
    cb.on_drained = [] {};
    cb.on_error = [this](const Status& s) { OnUpstreamLost("provider error: " + s.message()); };
    cb.on_eof = [this] { OnUpstreamLost("provider closed the connection"); };
    cb.on_closed = [this] {
      upstream_closed_ = true;
      MaybeFinish();
    };
    upstream_->SetCallbacks(std::move(cb));
  }
  if (phase_ == Phase::kClosing) {  // the client went away while we connected
    if (upstream_) upstream_->Close();
    MaybeFinish();
    return;
  }
  if (!status.ok() || !upstream_) {
    std::string reason = status.ok() ? "no stream" : status.message();
    CloseAll("provider " + upstream_name_ + " unreachable: " + reason,
             "-ERR [SYS/TEMP] provider " + upstream_name_ + " unreachable: " + reason, EventCause::kProvider);
    return;
  }
  const config::Upstream& up = *env_.listener->upstream;
  if (up.tls == config::TlsMode::kImplicit) {
    StartUpstreamTls();
    return;
  }
  phase_ = Phase::kUpstreamGreeting;
  framer_.Expect(ResponseShape::kSingleLine);
}

void Pop3Session::StartUpstreamTls() {
  const config::Upstream& up = *env_.listener->upstream;
  if (!env_.upstream_tls) {
    CloseAll("no TLS client context for provider " + upstream_name_,
             "-ERR [SYS/TEMP] provider " + upstream_name_ + " unreachable: TLS not configured");
    return;
  }
  bool greeted = phase_ == Phase::kUpstreamStls;
  phase_ = Phase::kUpstreamHandshake;
  upstream_->StartTlsClient(env_.upstream_tls, up.host, up.verify, [this, greeted](const Status& s) {
    if (phase_ == Phase::kClosing) return;
    if (!s.ok()) {
      CloseAll("provider TLS failed: " + s.message(),
               "-ERR [SYS/TEMP] provider " + upstream_name_ + " unreachable: " + s.message());
      return;
    }
    if (greeted) {
      EnterRelaying();  // POP3 sends no second greeting after STLS
    } else {
      phase_ = Phase::kUpstreamGreeting;
      framer_.Expect(ResponseShape::kSingleLine);
    }
  });
}

void Pop3Session::EnterRelaying() {
  phase_ = Phase::kRelaying;
  Log(archive::LogKind::kConnections, "relaying to " + upstream_name_ +
                                          (upstream_->is_tls() ? " (" + upstream_->tls_description() + ")" : ""));
  // mailtee's own text; of the provider's greeting only a validated APOP
  // timestamp (greeting.h).
  if (!provider_greeting_.empty() && ApopTimestamp(provider_greeting_).empty() &&
      provider_greeting_.find('<') != std::string::npos) {
    Log(archive::LogKind::kConnections, "provider greeting's APOP timestamp not passed on (not a plain <...@...>)");
  }
  WriteClient(ClientGreeting(provider_greeting_) + "\r\n");
  provider_greeting_.clear();
  ArmTimer();
  ProcessClientInput();
}

// ---- client side -----------------------------------------------------------------

void Pop3Session::OnClientData(std::string_view data) {
  if (phase_ == Phase::kClosing || drop_client_plaintext_) return;
  ArmTimer();
  if (client_input_.size() + data.size() > kMaxHeldClientInput) {
    CloseAll("client sent too much without waiting for replies", "-ERR [SYS/TEMP] too many pipelined commands");
    return;
  }
  client_input_.append(data);
  ProcessClientInput();
}

bool Pop3Session::ParsingBlocked() const {
  return phase_ != Phase::kRelaying || stls_pending_ || quit_requested_ ||
         (auth_active_ && !sasl_line_expected_) || slots_.size() >= kMaxCommandsInFlight ||
         pending_commits_ + RetrievalsInFlight() >= kMaxPendingCommits;
}

// RETR and TOP already sent to the provider: each may become a commit.
int Pop3Session::RetrievalsInFlight() const {
  int n = 0;
  for (const Slot& slot : slots_)
    if (!slot.internal && (slot.command.verb == Verb::kRetr || slot.command.verb == Verb::kTop)) ++n;
  return n;
}

void Pop3Session::ProcessClientInput() {
  size_t pos = 0;
  while (pos < client_input_.size() && !ParsingBlocked()) {
    size_t used = 0;
    size_t limit = sasl_line_expected_ ? kMaxSaslLine : kMaxCommandLine;
    LineReader::Result r = reader_.Next(std::string_view(client_input_).substr(pos), limit, &used);
    pos += used;
    if (r == LineReader::Result::kNeedMore) break;
    line_timer_.Stop();  // the line is complete: the next one gets its own deadline
    if (r == LineReader::Result::kTooLong) {
      if (sasl_line_expected_) {  // cancel the exchange; the provider answers -ERR
        sasl_line_expected_ = false;
        sasl_.OnClientLine("*");
        WriteUpstream("*\r\n");
      } else {
        AnswerLocally("-ERR line too long");
      }
      continue;
    }
    HandleLine(reader_.line());
    if (client_input_.empty()) return;  // STLS dropped the rest
  }
  if (phase_ == Phase::kClosing) return;
  client_input_.erase(0, pos);
  bool held = !client_input_.empty() && ParsingBlocked();
  if (held && !client_paused_) {
    client_paused_ = true;
    client_->PauseReading();
  } else if (!held && client_paused_) {
    client_paused_ = false;
    client_->ResumeReading();
  }
  UpdateLineDeadline();
}

void Pop3Session::HandleLine(const std::string& line) {
  if (sasl_line_expected_) {
    sasl_line_expected_ = false;
    if (HasControlCharacter(line)) {
      // Base64 never holds control characters; relaying a bare CR could smuggle
      // a command past the parser. Cancel the exchange instead: the provider
      // answers the "*" with -ERR, which is the client's answer. The line
      // itself is SASL data and is never logged.
      Log(archive::LogKind::kPop3, "SASL response refused: " + std::string(kInvalidCharacterError),
          EventType::kCommandRefused);
      sasl_.OnClientLine("*");
      WriteUpstream("*\r\n");
      return;
    }
    sasl_.OnClientLine(line);
    WriteUpstream(line + "\r\n");
    return;
  }
  Command command;
  Status parsed = ParseCommand(line, &command);
  if (!parsed.ok()) {
    Log(archive::LogKind::kPop3, "refused \"" + std::string(VerbName(command.verb)) + "\": " + parsed.message(),
        EventType::kCommandRefused);
    AnswerLocally("-ERR " + parsed.message());
    return;
  }
  Log(archive::LogKind::kPop3, Describe(command));
  switch (command.verb) {
    case Verb::kStls:
      if (client_->is_tls()) {
        AnswerLocally("-ERR already using TLS");
      } else if (!StlsOffered()) {
        AnswerLocally("-ERR STLS not available");
      } else if (!login_.empty()) {
        AnswerLocally("-ERR STLS only before login");
      } else {
        // Everything the client sent after STLS is plaintext that must not be
        // obeyed once TLS is up (STARTTLS command injection).
        stls_pending_ = true;
        drop_client_plaintext_ = true;
        client_input_.clear();
        reader_.Reset();
        Slot slot;
        slot.kind = SlotKind::kLocalStls;
        slots_.push_back(std::move(slot));
        FlushLocalSlots();
      }
      return;
    case Verb::kUser: case Verb::kPass: case Verb::kApop: case Verb::kAuth:
      if (!LoginAllowed()) {
        AnswerLocally("-ERR [AUTH] TLS required: issue STLS first");
        return;
      }
      if (command.verb == Verb::kAuth) {
        auth_active_ = true;
        sasl_.Start(command.name, command.digest.empty() ? std::nullopt
                                                         : std::optional<std::string_view>(command.digest));
      }
      Relay(command, line, ShapeOf(command));
      return;
    case Verb::kQuit:
      quit_requested_ = true;
      TryQuit();
      return;
    case Verb::kRetr:
      // The archive report carries the message's UIDL; for clients that never
      // ask UIDL, mailtee asks the provider once per session for the whole
      // list, just before the first RETR (not once per message: that cost an
      // extra round trip to the provider for every message fetched).
      if (!listing_.uid(command.number) && provider_uidl_ != ProviderUidl::kNo && !uidl_listing_requested_)
        LookUpUidls();
      Relay(command, line, ShapeOf(command));
      return;
    default:
      Relay(command, line, ShapeOf(command));
      return;
  }
}

void Pop3Session::Relay(const Command& command, const std::string& line, ResponseShape shape) {
  Slot slot;
  slot.kind = SlotKind::kRelayed;
  slot.command = command;
  slots_.push_back(std::move(slot));
  framer_.Expect(shape);
  WriteUpstream(line + "\r\n");
}

void Pop3Session::LookUpUidls() {
  uidl_listing_requested_ = true;
  Slot slot;
  slot.kind = SlotKind::kRelayed;
  slot.internal = true;
  slot.command.verb = Verb::kUidl;
  slots_.push_back(std::move(slot));
  framer_.Expect(ResponseShape::kMultiLineIfOk);
  WriteUpstream("UIDL\r\n");
  hold_upstream_writes_ = true;  // the RETR goes out after the answer
}

void Pop3Session::AnswerLocally(std::string reply) {
  Slot slot;
  slot.kind = SlotKind::kLocal;
  slot.reply = std::move(reply);
  slots_.push_back(std::move(slot));
  FlushLocalSlots();
}

// Local answers wait behind the provider's answers to earlier commands.
void Pop3Session::FlushLocalSlots() {
  while (!slots_.empty() && slots_.front().kind != SlotKind::kRelayed && phase_ != Phase::kClosing) {
    Slot slot = std::move(slots_.front());
    slots_.pop_front();
    if (slot.kind == SlotKind::kLocal) {
      WriteClient(slot.reply + "\r\n");
    } else {
      StartClientTls();
      return;
    }
  }
}

void Pop3Session::StartClientTls() {
  WriteClient("+OK begin TLS negotiation\r\n");
  drop_client_plaintext_ = false;  // from here on the stream delivers only decrypted bytes
  client_->StartTlsServer(env_.server_tls, [this](const Status& s) {
    if (phase_ == Phase::kClosing) return;
    if (!s.ok()) {
      CloseAll("client TLS handshake failed: " + s.message(), "", EventCause::kTlsHandshake);
      return;
    }
    Log(archive::LogKind::kConnections, "client TLS " + client_->tls_description(), EventType::kTlsOk);
    stls_pending_ = false;
    ProcessClientInput();
  });
}

void Pop3Session::TryQuit() {
  if (phase_ != Phase::kRelaying || !slots_.empty() || pending_commits_ > 0) return;  // called again later
  if (commit_failed_) {
    // Without the provider's QUIT the session never enters UPDATE: nothing the
    // client DELEted is removed while its archive copy is missing.
    CloseAll("archive commit failed; QUIT withheld so the provider deletes nothing",
             "-ERR [SYS/TEMP] archive copy failed; no message was deleted, try again later");
    return;
  }
  Command quit;
  quit.verb = Verb::kQuit;
  Relay(quit, "QUIT", ResponseShape::kSingleLine);
}

bool Pop3Session::LoginAllowed() const {
  if (client_->is_tls()) return true;
  if (env_.listener->require_tls) return false;  // never in clear, loopback or not
  return env_.listener->tls == config::TlsMode::kNone && IsLoopbackAddress(env_.listener->address);
}

bool Pop3Session::StlsOffered() const {
  return env_.listener->tls == config::TlsMode::kStartTls && env_.server_tls && !client_->is_tls();
}

// ---- provider side ---------------------------------------------------------------

void Pop3Session::OnUpstreamData(std::string_view data) {
  if (phase_ == Phase::kClosing) return;
  ArmTimer();
  while (!data.empty() && phase_ != Phase::kClosing) {
    size_t used = 0;
    Status s = framer_.Feed(data, this, &used);
    if (!s.ok()) {
      CloseAll("provider protocol error: " + s.message(),
               framer_.mid_response() ? "" : "-ERR [SYS/TEMP] provider protocol error");
      return;
    }
    data.remove_prefix(used);
    if (switch_upstream_tls_) {
      // Whatever the provider sent after its +OK to STLS is plaintext that
      // must not be taken as part of the TLS session: dropped.
      switch_upstream_tls_ = false;
      StartUpstreamTls();
      return;
    }
  }
  if (phase_ == Phase::kRelaying) {
    ProcessClientInput();
    if (quit_requested_) TryQuit();
  }
}

void Pop3Session::OnUpstreamLost(const std::string& reason) {
  if (phase_ == Phase::kClosing) return;
  bool quiet = framer_.mid_response();
  CloseAll(reason, quiet ? "" : "-ERR [SYS/TEMP] provider " + upstream_name_ + " closed the connection");
}

void Pop3Session::OnStatus(StatusKind kind, std::string_view line, bool multiline) {
  if (phase_ == Phase::kClosing) return;
  current_kind_ = kind;
  forwarding_ = true;
  if (phase_ == Phase::kUpstreamGreeting) {
    forwarding_ = false;
    if (kind != StatusKind::kOk) {
      // The provider's text stays in the log: it may come from a plaintext leg.
      CloseAll("provider greeting refused: " + Printable(line),
               "-ERR [SYS/TEMP] provider " + upstream_name_ + " refused the connection");
    } else {
      provider_greeting_ = std::string(line);
    }
    return;
  }
  if (phase_ == Phase::kUpstreamStls) {
    forwarding_ = false;
    if (kind != StatusKind::kOk) {
      CloseAll("provider refused STLS: " + std::string(line),
               "-ERR [SYS/TEMP] provider " + upstream_name_ + " refused STLS");
    }
    return;
  }
  if (slots_.empty()) return;  // not reached: the framer had an expectation
  const Command& command = slots_.front().command;
  if (multiline && !slots_.front().internal) {  // a body the client must read: a fresh budget
    body_budget_.Reset(static_cast<uint64_t>(env_.listener->timeouts.data_block) * 1000,
                       static_cast<uint64_t>(env_.listener->timeouts.min_data_rate));
    UpdateBodyDeadline();
  }
  if (slots_.front().internal) {  // mailtee's own UIDL: its list fills listing_, never reaches the client
    forwarding_ = false;
    listing_body_ = multiline;
    return;
  }
  switch (command.verb) {
    case Verb::kCapa:
      forwarding_ = false;
      capa_status_ = std::string(line);
      capa_body_.clear();
      break;
    case Verb::kRetr: case Verb::kTop:
      if (multiline) BeginTee(command);
      break;
    case Verb::kList: case Verb::kUidl: {
      auto listing = command.verb == Verb::kList ? MailboxListing::Kind::kSizes : MailboxListing::Kind::kUids;
      listing_body_ = multiline;
      if (!multiline && kind == StatusKind::kOk && line.size() > 4) listing_.AddLine(listing, line.substr(4));
      break;
    }
    case Verb::kUser:
      if (kind == StatusKind::kOk) pending_user_ = command.name;
      break;
    case Verb::kPass:
      if (kind == StatusKind::kOk) SetLogin(pending_user_);
      break;
    case Verb::kApop:
      if (kind == StatusKind::kOk) SetLogin(command.name);
      break;
    case Verb::kAuth:
      if (kind == StatusKind::kContinuation) sasl_line_expected_ = true;
      if (kind == StatusKind::kOk) SetLogin(sasl_.login());
      if (kind != StatusKind::kContinuation) {
        auth_active_ = false;
        sasl_line_expected_ = false;
      }
      break;
    default:
      break;
  }
}

void Pop3Session::OnRaw(std::string_view raw) {
  if (phase_ == Phase::kClosing) return;
  if (!forwarding_) return;
  body_budget_.Add(raw.size());
  WriteClient(raw);
}

void Pop3Session::OnBody(std::string_view data) {
  if (phase_ != Phase::kRelaying || slots_.empty()) return;
  const Command& command = slots_.front().command;
  if (tee_) {
    Status s = tee_->Append(data);
    if (!s.ok()) {
      // The client must not see the end of a message the archive lost: cut it off.
      Log(archive::LogKind::kFailed, Describe(command) + " not archived: " + s.message(), EventType::kFailed);
      tee_.reset();
      CloseAll("archive failed during " + Describe(command) + ": " + s.message(), "");
    }
    return;
  }
  if (command.verb == Verb::kCapa) {
    if (capa_body_.size() + data.size() <= kMaxCapaBody) capa_body_.append(data);
    return;
  }
  if (listing_body_) {
    listing_.FeedBody(command.verb == Verb::kList ? MailboxListing::Kind::kSizes : MailboxListing::Kind::kUids,
                      data);
  }
}

void Pop3Session::OnComplete(StatusKind kind) {
  if (phase_ == Phase::kClosing) return;
  if (phase_ == Phase::kUpstreamGreeting) {
    const config::Upstream& up = *env_.listener->upstream;
    if (up.tls == config::TlsMode::kStartTls && !upstream_->is_tls()) {
      phase_ = Phase::kUpstreamStls;
      framer_.Expect(ResponseShape::kSingleLine);
      WriteUpstream("STLS\r\n");
    } else {
      EnterRelaying();
    }
    return;
  }
  if (phase_ == Phase::kUpstreamStls) {
    switch_upstream_tls_ = true;
    return;
  }
  if (kind == StatusKind::kContinuation || slots_.empty()) return;  // AUTH goes on
  Slot slot = std::move(slots_.front());
  slots_.pop_front();
  if (slot.internal) {
    if (listing_body_) {
      listing_.EndBody(MailboxListing::Kind::kUids);
      listing_body_ = false;
    }
    hold_upstream_writes_ = false;
    std::string held;
    held.swap(held_upstream_);
    WriteUpstream(held);
    return;
  }
  const Command& command = slot.command;
  switch (command.verb) {
    case Verb::kCapa: {
      CapaPolicy policy{StlsOffered() && login_.empty(), LoginAllowed()};
      bool ok = current_kind_ == StatusKind::kOk;
      if (ok) provider_uidl_ = HasCapability(capa_body_, "UIDL") ? ProviderUidl::kYes : ProviderUidl::kNo;
      WriteClient(FormatMultiLine(ok ? capa_status_ : "+OK Capability list follows",
                                  ok ? FilterCapabilities(capa_body_, policy) : FallbackCapabilities(policy)));
      capa_body_.clear();
      break;
    }
    case Verb::kRetr: case Verb::kTop:
      if (tee_) FinishTee(command);
      break;
    case Verb::kList: case Verb::kUidl:
      if (listing_body_) {
        listing_.EndBody(command.verb == Verb::kList ? MailboxListing::Kind::kSizes : MailboxListing::Kind::kUids);
        listing_body_ = false;
      }
      break;
    case Verb::kQuit:
      CloseAll("ok", "");
      return;
    default:
      break;
  }
  FlushLocalSlots();
  if (draining_ && slots_.empty() && phase_ == Phase::kRelaying) {
    CloseAll("mailtee is shutting down", "-ERR [SYS/TEMP] mailtee is shutting down");
  }
}

void Pop3Session::BeginTee(const Command& command) {
  archive::MessageContext context;
  context.direction = archive::Direction::kReceived;
  context.protocol = "pop3";
  context.listener = env_.listener->name;
  context.user = login_.empty() ? "unknown" : login_;
  context.client_ip = client_ip_;
  context.received_at = std::chrono::system_clock::now();
  context.uidl = listing_.uid(command.number).value_or("");
  context.upstream = upstream_name_;
  if (command.verb == Verb::kRetr) {
    tee_ = RetrievalTee::ForRetr(env_.sink, std::move(context));
  } else {
    tee_ = RetrievalTee::ForTop(env_.sink, std::move(context), command.lines, listing_.size(command.number));
  }
}

void Pop3Session::FinishTee(const Command& command) {
  std::unique_ptr<RetrievalTee> tee = std::move(tee_);
  std::unique_ptr<archive::Capture> capture;
  std::string why;
  Status s = tee->Finish(&capture, &why);
  if (!s.ok()) {
    // The client already has the whole message; hold back its QUIT instead.
    commit_failed_ = true;
    Log(archive::LogKind::kFailed, Describe(command) + " not archived: " + s.message(), EventType::kFailed);
    return;
  }
  if (!capture) {
    Log(archive::LogKind::kPop3, Describe(command) + " not archived: " + why);
    return;
  }
  QueueCommit(std::move(capture), command, tee->size());
}

void Pop3Session::QueueCommit(std::unique_ptr<archive::Capture> capture, const Command& command, uint64_t size) {
  auto* job = new CommitJob();
  job->request.data = job;
  job->session = this;
  job->capture = std::move(capture);
  job->outcome.kind = archive::Outcome::Kind::kRelayed;
  job->outcome.code = 0;
  job->outcome.reply = "+OK";
  job->outcome.relayed_at = std::chrono::system_clock::now();
  job->what = Describe(command);
  job->size = size;
  ++pending_ops_;
  ++pending_commits_;
  uv_queue_work(
      env_.loop, &job->request,
      [](uv_work_t* request) {
        auto* j = static_cast<CommitJob*>(request->data);
        j->result = j->capture->Commit(j->outcome);
      },
      [](uv_work_t* request, int) {
        auto* j = static_cast<CommitJob*>(request->data);
        j->session->OnCommitDone(j);
      });
}

void Pop3Session::OnCommitDone(CommitJob* job) {
  std::unique_ptr<CommitJob> owned(job);
  --pending_ops_;
  --pending_commits_;
  if (job->result.ok()) {
    ++retrieved_;
    Log(archive::LogKind::kPop3, job->what + " archived as " + job->capture->id() + " (" +
                                     std::to_string(job->size) + " bytes)",
                                     EventType::kArchived, EventCause::kNone, job->size);
  } else {
    commit_failed_ = true;
    Log(archive::LogKind::kFailed, job->what + " not archived: " + job->result.message(), EventType::kFailed);
  }
  owned.reset();
  // Below kMaxPendingCommits again: commands held meanwhile go on.
  if (phase_ == Phase::kRelaying && !quit_requested_ && !client_input_.empty()) ProcessClientInput();
  if (quit_requested_) TryQuit();
  MaybeFinish();
}

// ---- plumbing --------------------------------------------------------------------

void Pop3Session::WriteClient(std::string_view bytes) {
  if (!client_ || client_->closing()) return;
  client_->Write(bytes);
  if (client_->pending_write_bytes() > net::kHighWatermark && upstream_ && !upstream_paused_ &&
      !upstream_->closing()) {
    upstream_paused_ = true;
    upstream_->PauseReading();
    UpdateBodyDeadline();
  }
}

void Pop3Session::WriteUpstream(std::string_view bytes) {
  if (hold_upstream_writes_) {
    held_upstream_.append(bytes);
    return;
  }
  if (upstream_ && !upstream_->closing() && !bytes.empty()) upstream_->Write(bytes);
}

void Pop3Session::ArmTimer() {
  int seconds = phase_ == Phase::kRelaying ? env_.listener->timeouts.idle : env_.listener->timeouts.greeting;
  timer_.Start(static_cast<uint64_t>(seconds) * 1000, [this] {
    CloseAll("timeout", "-ERR [SYS/TEMP] timeout");
  });
}

// The idle timer is re-armed by every byte, so alone it lets one byte every
// few seconds hold the session and its provider connection forever. A line the
// client started must be complete line_ms later, however slowly it trickles;
// only while the client owes it (not while we hold its bytes unparsed).
void Pop3Session::UpdateLineDeadline() {
  bool owes_line = phase_ == Phase::kRelaying && !ParsingBlocked() && client_input_.empty() &&
                   reader_.has_partial_line();
  if (!owes_line) {
    line_timer_.Stop();
    return;
  }
  if (line_timer_.active()) return;
  line_timer_.Start(static_cast<uint64_t>(env_.listener->timeouts.line_ms), [this] {
    std::string why = net::LineDeadlineReason(static_cast<uint64_t>(env_.listener->timeouts.line_ms));
    CloseAll("client timeout (" + why + ")", "-ERR [SYS/TEMP] timeout (" + why + ")");
  });
}

// A response body (RETR, TOP, LIST...) the client reads slowly: the client's
// time counts only while it is the bottleneck (its write queue is over the high
// watermark, so the provider is not read). It gets `data-block` seconds of slack plus
// one second per min-data-rate bytes of the response; its reads re-arm the idle
// timer through the provider's data, so without this a client draining a few
// bytes now and then would hold the session. Mid-response: a silent close.
void Pop3Session::UpdateBodyDeadline() {
  const uint64_t now = uv_now(env_.loop);
  if (phase_ != Phase::kRelaying || !upstream_paused_ || !body_budget_.enabled()) {
    body_budget_.Hold(now);
    body_timer_.Stop();
    return;
  }
  body_budget_.Run(now);
  body_timer_.Start(std::max<uint64_t>(1, body_budget_.RemainingMs(now)), [this] {
    if (phase_ != Phase::kRelaying || !upstream_paused_) return;
    if (body_budget_.RemainingMs(uv_now(env_.loop)) > 0) {
      UpdateBodyDeadline();
      return;
    }
    CloseAll("client timeout (reading slower than " + std::to_string(env_.listener->timeouts.min_data_rate) +
                 " bytes/s on average)",
             "");
  });
}

// Bytes never reset this one. Mid-response (a RETR streaming to the client) or
// during a TLS handshake no status line can be written, so the close is silent
// there; the retrieval is then cut off and not archived (docs/pop3.md).
void Pop3Session::OnSessionCeiling() {
  if (phase_ == Phase::kClosing) return;
  std::string why = net::SessionCeilingReason(static_cast<uint64_t>(env_.listener->timeouts.session_ms));
  bool silent = phase_ == Phase::kClientHandshake || stls_pending_ || framer_.mid_response();
  CloseAll("client timeout (" + why + ")", silent ? "" : "-ERR [SYS/TEMP] timeout (" + why + ")");
}

void Pop3Session::SetLogin(const std::string& login) {
  if (!IsUsableLogin(login)) return;
  login_ = login;
  Log(archive::LogKind::kPop3, "login ok", EventType::kAuthOk);
}

void Pop3Session::Drain() {
  draining_ = true;
  if (phase_ == Phase::kClosing) return;
  if (phase_ != Phase::kRelaying || (slots_.empty() && !tee_)) {
    CloseAll("mailtee is shutting down", "-ERR [SYS/TEMP] mailtee is shutting down");
  }
}

void Pop3Session::CloseAll(const std::string& reason, const std::string& client_reply, EventCause cause) {
  if (phase_ == Phase::kClosing) return;
  phase_ = Phase::kClosing;
  timer_.Stop();
  line_timer_.Stop();
  session_timer_.Stop();
  body_timer_.Stop();
  if (connecting_) {  // done will never run now
    connecting_.reset();
    --pending_ops_;
  }
  if (tee_) {
    tee_->Abort("connection ended mid-retrieval: " + reason);
    tee_.reset();
    Log(archive::LogKind::kPop3, "retrieval cut off, nothing archived: " + reason);
  }
  const bool ok = reason == "ok";
  Log(archive::LogKind::kConnections,
      std::string(ok ? "ok" : "abort") + " reason=\"" + reason + "\" retrieved=" + std::to_string(retrieved_),
      ok ? EventType::kEndedOk : EventType::kEndedAbort, cause);
  if (client_ && !client_->closing()) {
    if (!client_reply.empty()) client_->Write(client_reply + "\r\n");
    client_->Close();
  }
  if (upstream_ && !upstream_->closing()) upstream_->Close();
}

void Pop3Session::MaybeFinish() {
  if (client_closed_ && upstream_closed_ && pending_ops_ == 0) proxy_->SessionFinished(this);
}

void Pop3Session::Log(archive::LogKind kind, const std::string& text, EventType type, EventCause cause,
                      uint64_t bytes) {
  if (!env_.log) return;
  archive::SessionEvent event{.kind = kind, .type = type, .text = text, .bytes = bytes, .cause = cause};
  event.protocol = "pop3";
  event.listener = env_.listener->name;
  event.source = "pop3 listener=" + env_.listener->name + " client=" + client_ip_ +
                 " user=" + (login_.empty() ? "-" : login_);
  env_.log->Record(event);
}

}  // namespace mailtee::pop3
