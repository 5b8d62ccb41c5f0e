// SmtpSession, provider side: setup (greeting, EHLO, STARTTLS, account AUTH) and replies.
// The class and its states: smtp_session.h; the protocol decisions: docs/smtp.md.
#include "proxy/smtp/smtp_session.h"

#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <cctype>
#include <chrono>
#include <cstring>

#include "proxy/net/discard.h"
#include "proxy/smtp/sasl.h"
#include "proxy/smtp/session_detail.h"
#include "proxy/smtp/transcript.h"

namespace mailtee::smtp {

using namespace session_detail;

// ---------------------------------------------------------------- upstream replies

void SmtpSession::OnUpstreamData(std::string_view bytes) {
  while (!bytes.empty() && phase_ != Phase::kClosing) {
    size_t used = 0;
    bool complete = false;
    Reply reply;
    Status s = upstream_parser_.Feed(bytes, &used, &complete, &reply);
    bytes.remove_prefix(used);
    if (!s.ok()) {
      OnUpstreamGone(s.message());
      return;
    }
    if (complete) {
      Transcript("P<", reply.ToWire());
      if (!OnUpstreamReply(std::move(reply))) return;
    }
  }
}

bool SmtpSession::OnUpstreamReply(Reply reply) {
  if (phase_ == Phase::kUpstreamSetup) return OnSetupReply(reply);
  if (phase_ == Phase::kAwaitDataReply) {
    upstream_timer_.Stop();
    OnDataReply(reply);
    return phase_ != Phase::kClosing;
  }
  if (phase_ == Phase::kCommitting || phase_ == Phase::kHolding) {
    // Nothing is outstanding upstream while a verdict is being recorded, so
    // this reply is unsolicited (often a 421 right behind the 250). Handling
    // it now would close the session before the client hears the verdict it
    // is owed: keep it until then (ReplayDeferredReplies).
    if (deferred_replies_.size() < kMaxDeferredReplies) deferred_replies_.push_back(std::move(reply));
    return true;
  }
  if (pending_.empty() || !ExpectsUpstreamReply(pending_.front().expect)) {
    // Unsolicited: a 421 before the provider hangs up, or a broken provider.
    Reply to_client = reply.code == 421 ? reply : MakeReply("421 4.4.0 provider sent an unexpected reply");
    Log(archive::LogKind::kConnections, "abort client=" + client_->peer().text + " reason=unsolicited provider reply " + OneLine(reply),
        EventType::kEndedAbort);
    if (capture_ && pending_work_ == 0 && !end_of_data_sent_) {
      capture_->Abort("provider sent an unsolicited reply");
      capture_.reset();
    }
    WriteClient(to_client);
    CloseAll("unsolicited provider reply");
    return false;
  }
  Pending head = std::move(pending_.front());
  pending_.pop_front();
  bool more_expected = false;
  for (const Pending& p : pending_)
    if (ExpectsUpstreamReply(p.expect)) more_expected = true;
  if (more_expected) ArmUpstreamTimer(listener_.timeouts.command);
  else upstream_timer_.Stop();
  switch (head.expect) {
    case Expect::kEhlo:
      if (reply.klass() == 2) {
        caps_ = ParseEhloReply(reply);
        client_ehlo_done_ = true;
        ResetTransaction();
        ClientOffer offer;
        offer.offer_starttls = listener_.tls == config::TlsMode::kStartTls && !client_->is_tls() && env_.server_tls;
        offer.offer_auth = AuthAllowedNow() && !authenticated_;
        offer.allow_chunking = ChunkingOffered();
        offer.max_message_bytes = listener_.max_message_bytes;
        WriteClient(FilterEhloReply(reply, offer));
      } else {
        WriteClient(reply);
      }
      break;
    case Expect::kHelo:
      if (reply.klass() == 2) {
        client_ehlo_done_ = true;
        ResetTransaction();
      }
      WriteClient(reply);
      break;
    case Expect::kMail:
      if (reply.klass() == 2) {
        ResetTransaction();
        in_transaction_ = true;
        mail_from_ = head.path;
      }
      WriteClient(reply);
      break;
    case Expect::kRcpt:
      if (reply.klass() == 2 && approval_rcpt_) {
        // The approval address came first (hold_gate.h R1); the provider's
        // copy of this recipient is dropped with its transaction (RSET) later.
        WriteClient(MakeReply("550 5.7.1 the approval address must be the only recipient"));
        break;
      }
      if (reply.klass() == 2) recipients_.push_back(head.path);
      WriteClient(reply);
      break;
    case Expect::kRset:
      if (reply.klass() == 2) ResetTransaction();
      WriteClient(reply);
      break;
    case Expect::kData:
      if (reply.code == 354 && !capture_) {
        // The provider opened DATA but we hold no capture (we believed there
        // was no transaction): never relay a message that is not archived.
        Log(archive::LogKind::kSystem, "provider answered 354 to a DATA we did not archive; connection cut",
            EventType::kError);
        AbortTransaction("451 4.3.0 transaction state out of step with the provider; message not relayed",
                         "provider accepted DATA without an archive capture");
        return false;
      }
      if (reply.code == 354) {
        WriteClient(reply);
        BeginData();
        Pump();
        return phase_ != Phase::kClosing;
      }
      if (capture_) {
        capture_->Abort("provider refused DATA: " + OneLine(reply));
        capture_.reset();
      }
      DiscardScreen();
      WriteClient(reply);
      break;
    case Expect::kQuit:
      WriteClient(reply);
      Log(archive::LogKind::kConnections, "ok client=" + client_->peer().text + " tls=" +
                                              (client_->is_tls() ? client_->tls_description() : "none") +
                                              " user=" + login_ + " messages=" + std::to_string(messages_relayed_),
                                              EventType::kEndedOk);
      CloseAll("client quit");
      return false;
    case Expect::kAuth:
      if (reply.code == 334) {
        WriteClient(reply);
        phase_ = Phase::kAuthContinuation;
        Pump();
        return phase_ != Phase::kClosing;
      }
      if (reply.code == 235) {
        authenticated_ = true;
        login_ = login_candidate_;
        Log(archive::LogKind::kConnections, "auth client=" + client_->peer().text + " user=" + login_ +
                                                " mechanism=" + auth_mechanism_ + " result=ok", EventType::kAuthOk);
      } else {
        Log(archive::LogKind::kConnections, "auth client=" + client_->peer().text + " user=" + login_candidate_ +
                                                " mechanism=" + auth_mechanism_ + " result=" + OneLine(reply),
                                                EventType::kAuthFailed);
      }
      WipeString(&login_candidate_);
      WriteClient(reply);
      break;
    case Expect::kVerbatim:
      WriteClient(reply);
      break;
    case Expect::kSilent:
      break;
    case Expect::kBdatChunk:
      // A refused chunk ends the provider's transaction; the client must RSET.
      if (reply.klass() != 2 && bdat_active_) {
        // RFC 3030: the transaction has failed; later chunks of this message
        // are consumed and answered here, never forwarded.
        bdat_failed_reply_ = reply.klass() == 4
                                 ? "451 4.5.0 an earlier BDAT chunk was refused; send RSET"
                                 : "554 5.5.0 an earlier BDAT chunk was refused; send RSET";
        if (capture_) {
          capture_->Abort("provider refused a BDAT chunk: " + OneLine(reply));
          capture_.reset();
        }
        DiscardScreen();
      }
      WriteClient(reply);
      break;
    case Expect::kLocal:
    case Expect::kStartTls:
    case Expect::kDataGate:
    case Expect::kBdatGate:
    case Expect::kApprovalRcpt:
      break;
  }
  Pump();
  return phase_ != Phase::kClosing;
}

bool SmtpSession::ReplayDeferredReplies() {
  while (!deferred_replies_.empty() && phase_ != Phase::kClosing) {
    Reply reply = std::move(deferred_replies_.front());
    deferred_replies_.erase(deferred_replies_.begin());
    if (!OnUpstreamReply(std::move(reply))) break;
  }
  deferred_replies_.clear();
  return phase_ == Phase::kClosing;
}

bool SmtpSession::OnSetupReply(const Reply& reply) {
  upstream_timer_.Stop();
  const config::Upstream& up = *listener_.upstream;
  const std::string refused = "421 4.4.1 provider " + UpstreamName() + " refused the session: " + OneLine(reply);
  switch (setup_) {
    case SetupStep::kTlsHandshake:
      if (up.tls == config::TlsMode::kImplicit && upstream_->is_tls()) {
        // Implicit TLS: the greeting may be decrypted before the handshake callback ran.
        setup_ = SetupStep::kGreeting;
        return OnSetupReply(reply);
      }
      [[fallthrough]];
    case SetupStep::kConnect:
      SetupFailed("421 4.4.1 provider " + UpstreamName() + " spoke before TLS was up");
      return false;
    case SetupStep::kGreeting:
      if (reply.code != 220) {
        SetupFailed(refused);
        return false;
      }
      setup_ = SetupStep::kEhlo;
      SendUpstream("EHLO " + local_name_ + "\r\n", listener_.timeouts.command);
      return true;
    case SetupStep::kEhlo:
    case SetupStep::kEhloAfterTls:
      if (reply.klass() == 5 && !(up.tls == config::TlsMode::kStartTls && !upstream_->is_tls())) {
        // RFC 5321 §3.2: a server that does not do ESMTP refuses EHLO; fall
        // back to HELO (no extensions). Not when STARTTLS is still to come:
        // that needs EHLO, and going on in plaintext is not an option.
        setup_ = SetupStep::kHelo;
        SendUpstream("HELO " + local_name_ + "\r\n", listener_.timeouts.command);
        return true;
      }
      if (reply.klass() != 2) {
        SetupFailed(refused);
        return false;
      }
      caps_ = ParseEhloReply(reply);
      if (up.tls == config::TlsMode::kStartTls && !upstream_->is_tls()) {
        if (!caps_.starttls) {
          SetupFailed("421 4.4.1 provider " + UpstreamName() + " does not offer STARTTLS");
          return false;
        }
        setup_ = SetupStep::kStartTls;
        SendUpstream("STARTTLS\r\n", listener_.timeouts.command);
        return true;
      }
      AfterUpstreamEhlo(reply);
      return phase_ != Phase::kClosing;
    case SetupStep::kStartTls:
      if (reply.code != 220) {
        SetupFailed(refused);
        return false;
      }
      // Whatever else this read carried is plaintext the provider must not
      // inject into the TLS session: drop it with the parser state.
      upstream_parser_.Reset();
      setup_ = SetupStep::kTlsHandshake;
      ArmUpstreamTimer(listener_.timeouts.greeting);
      upstream_->StartTlsClient(env_.upstream_tls, up.host, up.verify, [this](const Status& s) {
        if (phase_ == Phase::kClosing) return;
        if (!s.ok()) {
          SetupFailed("421 4.4.1 provider " + UpstreamName() + " unreachable: " + s.message(), EventCause::kProvider);
          return;
        }
        setup_ = SetupStep::kEhloAfterTls;
        SendUpstream("EHLO " + local_name_ + "\r\n", listener_.timeouts.command);
      });
      return false;
    case SetupStep::kHelo:
      if (reply.klass() != 2) {
        SetupFailed(refused);
        return false;
      }
      caps_ = ProviderCapabilities();  // HELO: no PIPELINING, no AUTH, no SIZE...
      AfterUpstreamEhlo(reply);
      return phase_ != Phase::kClosing;
    case SetupStep::kAuthPlain:
    case SetupStep::kAuthLoginDone:
      if (reply.code != 235) {
        SetupFailed("421 4.7.0 provider " + UpstreamName() + " refused mailtee's account login: " + OneLine(reply));
        return false;
      }
      UpstreamReady();
      return phase_ != Phase::kClosing;
    case SetupStep::kAuthLoginUser:
    case SetupStep::kAuthLoginPassword: {
      if (reply.code != 334) {
        SetupFailed("421 4.7.0 provider " + UpstreamName() + " refused mailtee's account login: " + OneLine(reply));
        return false;
      }
      bool user = setup_ == SetupStep::kAuthLoginUser;
      std::string line = Base64Encode(user ? listener_.auth.user : listener_.auth.password) + "\r\n";
      setup_ = user ? SetupStep::kAuthLoginPassword : SetupStep::kAuthLoginDone;
      SendUpstream(line, listener_.timeouts.command, Wire::kSecret);
      WipeString(&line);
      return true;
    }
  }
  return true;
}

void SmtpSession::AfterUpstreamEhlo(const Reply& reply) {
  if (listener_.auth.mode != config::AuthMode::kAccount) {
    UpstreamReady();
    return;
  }
  if (caps_.OffersAuth("PLAIN")) {
    std::string line = "AUTH PLAIN " + PlainInitialResponse(listener_.auth.user, listener_.auth.password) + "\r\n";
    setup_ = SetupStep::kAuthPlain;
    SendUpstream(line, listener_.timeouts.command);
    WipeString(&line);
  } else if (caps_.OffersAuth("LOGIN")) {
    setup_ = SetupStep::kAuthLoginUser;
    SendUpstream("AUTH LOGIN\r\n", listener_.timeouts.command);
  } else if (setup_ == SetupStep::kHelo) {
    SetupFailed("421 4.7.0 provider " + UpstreamName() + " refused EHLO, so mailtee cannot log in with the configured account");
  } else {
    SetupFailed("421 4.7.0 provider " + UpstreamName() + " offers neither AUTH PLAIN nor LOGIN for the configured account");
  }
}

void SmtpSession::UpstreamReady() {
  phase_ = Phase::kCommands;
  // account / none: the client is trusted by its address (allow-list), so MAIL
  // is accepted at once; the archive key is then the envelope sender (many
  // devices share one account, or there is no login at all).
  authenticated_ = listener_.auth.mode != config::AuthMode::kPassthrough;
  if (owner_->draining()) {
    WriteClient(MakeReply("421 4.3.2 " + local_name_ + " service shutting down"));
    CloseAll("draining");
    return;
  }
  WriteClient(MakeReply("220 " + local_name_ + " ESMTP mailtee"));
  ArmClientTimer();
  Pump();
}

void SmtpSession::OnUpstreamGone(const std::string& reason) {
  if (phase_ == Phase::kClosing) return;
  if (phase_ == Phase::kUpstreamSetup) {
    SetupFailed("421 4.4.1 provider " + UpstreamName() + " unreachable: " + reason, EventCause::kProvider);
    return;
  }
  if (phase_ == Phase::kCommitting || phase_ == Phase::kHolding) {
    // The verdict is in hand: finish recording it and answer the client first.
    upstream_lost_ = true;
    return;
  }
  Log(archive::LogKind::kConnections, "abort client=" + client_->peer().text + " reason=" + reason,
      EventType::kEndedAbort);
  if (phase_ == Phase::kAwaitDataReply && capture_) {
    CommitUnknownVerdict("provider connection lost: " + reason, "421 4.4.1 provider connection lost: " + reason);
    return;
  }
  if (capture_ && pending_work_ == 0) {
    capture_->Abort("provider connection lost: " + reason);
    capture_.reset();
  }
  if (!client_gone_) WriteClient(MakeReply("421 4.4.1 provider connection lost: " + reason));
  CloseAll(reason);
}

}  // namespace mailtee::smtp
