// SmtpSession, the approval hold: the steps R1, C1, C2, D1-D7 of
// proxy/smtp/hold_gate.h. Only reached when env_.hold_gate is set.
// The class and its states: smtp_session.h; the protocol decisions: docs/smtp.md.
#include <chrono>
#include <memory>

#include "proxy/net/discard.h"
#include "proxy/smtp/sasl.h"
#include "proxy/smtp/session_detail.h"
#include "proxy/smtp/smtp_session.h"

namespace mailtee::smtp {

using namespace session_detail;

namespace {
constexpr char kMixedApprovalRcpt[] = "550 5.7.1 the approval address must be the only recipient";
constexpr char kReconnect[] = "421 4.3.0 transaction aborted; please reconnect";
}  // namespace

// What the worker hands back after D5.
struct SmtpSession::HoldResult {
  Status persist;       // the hold copy + record (not ok: nothing is held)
  Status commit;        // the archive commit as kHeld
  std::string reply;    // screen->ClientReply()
};

HoldEnvelope SmtpSession::MakeHoldEnvelope() const {
  HoldEnvelope e;
  e.listener = listener_.name;
  e.login = login_;
  e.client_ip = client_->peer().text;
  e.envelope_from = mail_from_;
  e.recipients = recipients_;
  return e;
}

// ---------------------------------------------------------------- R1

// Never relayed. Whether MAIL was accepted and which other recipients the
// provider took is known only when the marker reaches the queue head.
void SmtpSession::QueueApprovalRcpt(const std::string& path) {
  Pending p;
  p.expect = Expect::kApprovalRcpt;
  p.path = path;
  pending_.push_back(std::move(p));
}

void SmtpSession::RunApprovalRcptGate(const Pending& gate) {
  if (!in_transaction_) {
    WriteClient(MakeReply("503 5.5.1 need MAIL command"));
  } else if (!recipients_.empty()) {
    WriteClient(MakeReply(kMixedApprovalRcpt));
  } else {
    approval_rcpt_ = true;
    recipients_.push_back(gate.path);  // so any later recipient counts as mixing
    Log(archive::LogKind::kReceived, "approval address <" + gate.path + "> accepted for user=" + LogUser());
    WriteClient(MakeReply("250 2.1.5 approval address"));
  }
}

// ---------------------------------------------------------------- C1 / C2

void SmtpSession::StartCommandMail() {
  command_mail_ = true;
  command_too_big_ = false;
  command_message_.clear();
  WriteClient(MakeReply("354 End data with <CR><LF>.<CR><LF>"));
  BeginData();
}

void SmtpSession::AppendCommandBytes(std::string_view bytes) {
  if (command_too_big_) return;
  if (command_message_.size() + bytes.size() > HoldGate::kMaxCommandMessageBytes) {
    command_too_big_ = true;  // keep consuming to the end of data, keep nothing more
    WipeString(&command_message_);
    command_message_.clear();
    return;
  }
  command_message_.append(bytes);
}

void SmtpSession::FinishCommandMail() {
  client_timer_.Stop();
  phase_ = Phase::kCommands;
  std::string reply;
  if (command_too_big_ || data_failure_ == DataFailure::kTooBig) {
    reply = "552 5.3.4 command mail too big";
  } else if (data_failure_ == DataFailure::kBareNewline) {
    reply = "550 5.6.11 bare LF/CR in message; use CRLF line endings";
  } else {
    reply = env_.hold_gate->HandleMailCommand(MakeHoldEnvelope(), command_message_);
  }
  // The command may carry a token: do not keep it around.
  WipeString(&command_message_);
  command_message_.clear();
  Log(archive::LogKind::kReceived, "mail command client=" + client_->peer().text + " user=" + LogUser() +
                                       " reply=" + reply, EventType::kReceived);
  WriteClient(MakeReply(reply));
  ResetBothSides();  // the provider holds MAIL (maybe a refused-mix RCPT): end it silently
  ArmClientTimer();
}

// ---------------------------------------------------------------- D1 / D2

void SmtpSession::OpenScreen() {
  if (!env_.hold_gate) return;
  screen_ = env_.hold_gate->Screen(MakeHoldEnvelope());
  data_held_locally_ = screen_ && screen_->held_regardless_of_content();
}

// ---------------------------------------------------------------- D4 - D7

bool SmtpSession::HoldAtEndOfData() {
  if (!screen_) return false;
  if (!screen_->ShouldHold()) {
    DiscardScreen();
    if (!data_held_locally_) return false;  // as today: the dot goes out
    // The envelope said "held" but the content says "pass", and nothing went
    // upstream: the message cannot be relayed from here. Tell the client to retry.
    Log(archive::LogKind::kSystem, "approval screen passed a message it held by envelope; client told to retry");
    FailLocalData("451 4.3.0 approval check inconsistent, try again later", "approval screen inconsistent");
    Pump();
    return true;
  }
  phase_ = Phase::kHolding;
  client_timer_.Stop();
  if (!data_held_locally_) {
    // D7: the provider is inside DATA (or a BDAT message without its last
    // byte); only cutting the connection drops it without delivering.
    upstream_timer_.Stop();
    upstream_aborted_ = true;
    reconnect_required_ = true;
    if (upstream_ && !upstream_->closing()) upstream_->Close();
  }
  screen_busy_ = true;
  HoldScreen* screen = screen_.get();
  archive::Capture* capture = capture_.get();
  auto result = std::make_shared<HoldResult>();
  RunOnWorker(
      [screen, capture, result] {
        result->persist = screen->Persist(capture->id());
        if (!result->persist.ok()) return Status::Ok();
        result->reply = screen->ClientReply();
        archive::Outcome outcome;
        outcome.kind = archive::Outcome::Kind::kHeld;
        outcome.code = 250;
        outcome.reply = result->reply;
        // No relayed_at: nothing reached the provider yet. The report gets its
        // relay time when the approved message is released (held_outcome.h).
        result->commit = capture->Commit(outcome);
        return Status::Ok();
      },
      [this, result](const Status& s) {
        if (!s.ok() && result->persist.ok() && result->reply.empty()) result->persist = s;  // worker never ran
        OnHoldRecorded(*result);
      });
  return true;
}

void SmtpSession::OnHoldRecorded(const HoldResult& result) {
  screen_busy_ = false;
  std::string id = capture_ ? capture_->id() : "-";
  if (!result.persist.ok()) {
    Log(archive::LogKind::kSystem, "hold could not be recorded id=" + id + ": " + result.persist.message());
    if (capture_) {
      capture_->Abort("hold could not be recorded");  // the dot was never sent: nothing was relayed
      capture_.reset();
    }
    DiscardScreen();
    std::string reply = "452 4.3.1 archive storage unavailable, try again later";
    if (data_held_locally_ && !reconnect_required_ && !client_gone_ && phase_ != Phase::kClosing) {
      FailLocalData(reply, "hold could not be recorded");
      Pump();
      return;
    }
    Log(archive::LogKind::kFailed, "id=" + id + " client=" + client_->peer().text + " from=<" + mail_from_ +
                                       "> reply=" + reply + " (not relayed: hold could not be recorded)",
                                       EventType::kFailed);
    WriteClient(MakeReply(reply));
    if (reconnect_required_) WriteClient(MakeReply(kReconnect));
    CloseAll("hold could not be recorded");
    return;
  }
  if (!result.commit.ok()) {
    // The hold is durable and will be relayed once approved; the archive copy
    // is left sealed for Recover() (like a failed commit after a 250).
    Log(archive::LogKind::kSystem, "ARCHIVE COMMIT FAILED id=" + id + " for a held message: " +
                                       result.commit.message() + "; the spool is kept for recovery at the next start",
                                       EventType::kError);
  }
  capture_.reset();  // committed, or left sealed for Recover()
  // D6: requests, notices, expiry: asynchronous, even if the client has left.
  screen_->Announce();
  screen_.reset();
  ++messages_held_;
  Log(archive::LogKind::kRelayed, "id=" + id + " held for approval user=" + LogUser() + " from=<" + mail_from_ +
                                      "> to=" + JoinRecipients(recipients_) + " reply=" + result.reply,
                                      EventType::kHeld);
  if (data_held_locally_ && !reconnect_required_) ResetBothSides();  // the provider still holds MAIL/RCPT
  else ResetTransaction();
  if (client_gone_ || phase_ == Phase::kClosing) {
    CloseAll("client gone after a held message");
    return;
  }
  WriteClient(MakeReply(result.reply));
  phase_ = Phase::kCommands;
  if (ReplayDeferredReplies()) return;
  if (upstream_lost_) {
    WriteClient(MakeReply("421 4.4.1 provider connection lost"));
    CloseAll("provider closed the connection while a message was being held");
    return;
  }
  ArmClientTimer();
  Pump();
}

void SmtpSession::FailLocalData(const std::string& client_reply, const std::string& reason) {
  Log(archive::LogKind::kFailed, "id=" + (capture_ ? capture_->id() : std::string("-")) + " client=" +
                                     client_->peer().text + " from=<" + mail_from_ + "> reply=" + client_reply +
                                     " (not relayed: " + reason + ")", EventType::kFailed);
  client_timer_.Stop();
  if (capture_) {
    capture_->Abort(reason);
    capture_.reset();
  }
  DiscardScreen();
  WriteClient(MakeReply(client_reply));
  phase_ = Phase::kCommands;
  ResetBothSides();
  ArmClientTimer();
}

void SmtpSession::DiscardScreen() {
  if (!screen_ || screen_busy_) return;  // a busy screen is finished by OnHoldRecorded
  screen_->Discard();
  screen_.reset();
}

}  // namespace mailtee::smtp
