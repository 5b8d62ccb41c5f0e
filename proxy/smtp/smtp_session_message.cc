// SmtpSession, the message: DATA/BDAT streaming, seal, relay, commit.
// The class and its states: smtp_session.h; the protocol decisions: docs/smtp.md.
#include "proxy/smtp/smtp_session.h"

#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>

#include "proxy/net/discard.h"
#include "proxy/smtp/sasl.h"
#include "proxy/smtp/session_detail.h"

namespace mailtee::smtp {

using namespace session_detail;

// ---------------------------------------------------------------- the message

void SmtpSession::BeginData() {
  phase_ = Phase::kData;
  decoder_ = std::make_unique<DataDecoder>(listener_.bare_newline);
  data_failure_ = DataFailure::kNone;
  data_failure_detail_.clear();
  message_bytes_ = 0;
  body_budget_.Reset(static_cast<uint64_t>(listener_.timeouts.data_block) * 1000,
                     static_cast<uint64_t>(listener_.timeouts.min_data_rate));
  ArmClientTimer();
}

void SmtpSession::FeedData() {
  while (phase_ == Phase::kData && inbox_offset_ < inbox_.size() && !decoder_->done()) {
    if (upstream_->pending_write_bytes() > net::kHighWatermark) {
      paused_for_upstream_ = true;  // on_drained resumes us
      UpdateClientReading();
      return;
    }
    std::string_view slice = std::string_view(inbox_).substr(inbox_offset_, kDecodeSlice);
    archive_chunk_.clear();
    upstream_chunk_.clear();
    size_t used = decoder_->Decode(slice, &archive_chunk_, &upstream_chunk_);
    inbox_offset_ += used;
    message_bytes_ += archive_chunk_.size();
    if (decoder_->rejected() && data_failure_ == DataFailure::kNone) data_failure_ = DataFailure::kBareNewline;
    if (uint64_t limit = MessageSizeLimit(); limit && message_bytes_ > limit && data_failure_ == DataFailure::kNone)
      data_failure_ = DataFailure::kTooBig;  // nothing more is spooled or relayed
    if (data_failure_ != DataFailure::kNone) continue;  // keep consuming to the real end of data
    if (command_mail_) {
      AppendCommandBytes(archive_chunk_);  // hold_gate.h C1: never archived, never relayed
      continue;
    }
    if (!archive_chunk_.empty()) {
      Status s = capture_->Append(archive_chunk_);
      if (s.ok() && screen_) s = screen_->Append(archive_chunk_);  // hold_gate.h D3
      if (!s.ok()) {
        data_failure_ = DataFailure::kArchive;
        data_failure_detail_ = s.message();
        continue;
      }
    }
    if (!upstream_chunk_.empty() && !data_held_locally_) upstream_->Write(upstream_chunk_);
  }
  if (phase_ == Phase::kData && decoder_->done()) OnDataEnd();
}

void SmtpSession::OnDataEnd() {
  client_timer_.Stop();
  if (command_mail_) {
    FinishCommandMail();
    return;
  }
  // A BDAT message refused for its size: the over-limit chunk was never
  // announced upstream and the earlier ones were whole, so a silent RSET ends
  // the provider's transaction and the session goes on.
  bool upstream_resettable = bdat_active_ && data_failure_ == DataFailure::kTooBig;
  if ((data_held_locally_ || upstream_resettable) && data_failure_ != DataFailure::kNone) {
    // Nothing of this message went upstream: no connection to cut.
    switch (data_failure_) {
      case DataFailure::kBareNewline:
        FailLocalData("550 5.6.11 bare LF/CR in message; use CRLF line endings", "bare LF/CR in message");
        return;
      case DataFailure::kTooBig:
        FailLocalData("552 5.3.4 message exceeds " + std::to_string(MessageSizeLimit()) + " bytes",
                      "message too big");
        return;
      default:
        Log(archive::LogKind::kSystem, "archive write failed: " + data_failure_detail_, EventType::kError);
        FailLocalData("452 4.3.1 archive storage unavailable, try again later", "archive write failed");
        return;
    }
  }
  switch (data_failure_) {
    case DataFailure::kBareNewline:
      AbortTransaction("550 5.6.11 bare LF/CR in message; use CRLF line endings", "bare LF/CR in message");
      return;
    case DataFailure::kTooBig:
      AbortTransaction("552 5.3.4 message exceeds " + std::to_string(MessageSizeLimit()) + " bytes",
                       "message too big");
      return;
    case DataFailure::kArchive:
      Log(archive::LogKind::kSystem, "archive write failed: " + data_failure_detail_, EventType::kError);
      AbortTransaction("452 4.3.1 archive storage unavailable, try again later", "archive write failed");
      return;
    case DataFailure::kNone:
      break;
  }
  phase_ = Phase::kSealing;
  Log(archive::LogKind::kReceived, "id=" + capture_->id() + " client=" + client_->peer().text + " user=" + LogUser() +
                                       " from=<" + mail_from_ + "> to=" + JoinRecipients(recipients_) +
                                       " size=" + std::to_string(message_bytes_),
                                       EventType::kReceived, EventCause::kNone, message_bytes_);
  archive::Capture* capture = capture_.get();
  RunOnWorker([capture] { return capture->SealForRelay(); }, [this](const Status& s) { OnSealed(s); });
}

// The provider is inside DATA and only the final dot could end it, which would
// deliver the message: the only safe abort is cutting the upstream connection.
// A new upstream would need the client's AUTH again (we keep no password), so
// the session ends after the reply (docs/smtp.md).
void SmtpSession::AbortTransaction(const std::string& client_reply, const std::string& reason) {
  Log(archive::LogKind::kFailed, "id=" + (capture_ ? capture_->id() : std::string("-")) + " client=" +
                                     client_->peer().text + " from=<" + mail_from_ + "> reply=" + client_reply +
                                     " (not relayed: " + reason + ")", EventType::kFailed);
  if (capture_) {
    capture_->Abort(reason);
    capture_.reset();
  }
  upstream_aborted_ = true;
  if (upstream_ && !upstream_->closing()) upstream_->Close();
  WriteClient(MakeReply(client_reply));
  WriteClient(MakeReply("421 4.3.0 transaction aborted; please reconnect"));
  CloseAll(reason);
}

void SmtpSession::OnSealed(const Status& status) {
  if (phase_ == Phase::kClosing || client_gone_) {
    // Nobody will hear the verdict and the dot was not sent: drop the message.
    if (capture_) {
      capture_->Abort(client_gone_ ? "client disconnected before the end of data was relayed" : "session closed");
      capture_.reset();
    }
    if (phase_ != Phase::kClosing) CloseAll("client gone during seal");
    return;
  }
  if (!status.ok()) {
    Log(archive::LogKind::kSystem, "archive seal failed: " + status.message(), EventType::kError);
    if (data_held_locally_) {
      FailLocalData("452 4.3.1 archive storage unavailable, try again later", "archive seal failed");
      Pump();
      return;
    }
    AbortTransaction("452 4.3.1 archive storage unavailable, try again later", "archive seal failed");
    return;
  }
  if (HoldAtEndOfData()) return;  // hold_gate.h D4-D7: the end of data is never sent
  phase_ = Phase::kAwaitDataReply;
  // DATA: the final dot. BDAT: the held-back last byte of the LAST chunk (or
  // the whole "BDAT 0 LAST" command) — until it arrives the provider cannot
  // complete the message.
  std::string final_bytes = bdat_active_ ? bdat_held_ : std::string(kEndOfData);
  bdat_held_.clear();
  // The held byte of a LAST chunk is body (not transcribed); "BDAT 0 LAST" and the dot are protocol.
  bool body_byte = bdat_active_ && final_bytes.rfind("BDAT", 0) != 0;
  end_of_data_sent_ = true;
  SendUpstream(final_bytes, listener_.timeouts.data_end, body_byte ? Wire::kBody : Wire::kCommand);
}

void SmtpSession::OnDataReply(const Reply& reply) {
  phase_ = Phase::kCommitting;
  archive::Outcome outcome;
  bool relayed = reply.klass() == 2;
  outcome.kind = relayed ? archive::Outcome::Kind::kRelayed : archive::Outcome::Kind::kRefused;
  outcome.code = reply.code;
  outcome.reply = reply.Text();
  outcome.relayed_at = std::chrono::system_clock::now();
  archive::Capture* capture = capture_.get();
  RunOnWorker([capture, outcome] { return capture->Commit(outcome); },
              [this, reply, relayed](const Status& s) { OnCommitted(s, reply, relayed); });
}

// Commit failure: the provider already has the message and it cannot be
// recalled, so the client still gets the provider's reply (telling it to resend
// would duplicate the mail). The sealed spool stays on disk for Recover(), and
// the failure goes to the system log (docs/smtp.md).
void SmtpSession::OnCommitted(const Status& status, const Reply& reply, bool relayed) {
  std::string id = capture_ ? capture_->id() : "-";
  if (!status.ok()) {
    Log(archive::LogKind::kSystem, "ARCHIVE COMMIT FAILED id=" + id + " after the provider answered " +
                                       std::to_string(reply.code) + ": " + status.message() +
                                       "; the spool is kept for recovery at the next start", EventType::kError);
  }
  capture_.reset();  // committed, or left sealed for Recover() (never Abort after the dot)
  end_of_data_sent_ = false;
  if (phase_ == Phase::kClosing) return;
  if (relayed) {
    ++messages_relayed_;
    Log(archive::LogKind::kRelayed, "id=" + id + " upstream=" + UpstreamName() + " user=" + LogUser() + " from=<" +
                                        mail_from_ + "> to=" + JoinRecipients(recipients_) + " reply=" + OneLine(reply),
                                        EventType::kRelayed);
  } else {
    Log(archive::LogKind::kFailed, "id=" + id + " upstream=" + UpstreamName() + " user=" + LogUser() + " from=<" +
                                       mail_from_ + "> to=" + JoinRecipients(recipients_) + " reply=" + OneLine(reply),
                                       EventType::kRefused);
  }
  ResetTransaction();
  if (client_gone_) {
    CloseAll("client gone after end of data");
    return;
  }
  WriteClient(reply);
  phase_ = Phase::kCommands;
  if (ReplayDeferredReplies()) return;
  if (upstream_lost_) {
    WriteClient(MakeReply("421 4.4.1 provider connection lost"));
    CloseAll("provider closed the connection after the end of data");
    return;
  }
  ArmClientTimer();
  Pump();
}

// Ends the transaction here and, silently, at the provider (as STARTTLS does):
// never forget a transaction the provider still holds.
void SmtpSession::ResetBothSides() {
  if (in_transaction_ && upstream_ && !upstream_->closing()) {
    Pending p;
    p.expect = Expect::kSilent;
    pending_.push_back(std::move(p));
    Transcript("P>", "RSET");
    upstream_->Write("RSET\r\n");
    ArmUpstreamTimer(listener_.timeouts.command);
  }
  ResetTransaction();
}

void SmtpSession::CommitUnknownVerdict(const std::string& why, const std::string& client_line) {
  phase_ = Phase::kCommitting;
  upstream_timer_.Stop();
  client_timer_.Stop();
  upstream_aborted_ = true;
  if (upstream_ && !upstream_->closing()) upstream_->Close();
  archive::Outcome outcome;
  outcome.kind = archive::Outcome::Kind::kUnknown;
  outcome.code = 0;
  outcome.reply = "provider's verdict not received after the end of data (" + why + ")";
  outcome.relayed_at = std::chrono::system_clock::now();
  std::string id = capture_->id();
  Log(archive::LogKind::kFailed, "id=" + id + " upstream=" + UpstreamName() + " user=" + LogUser() + " from=<" +
                                     mail_from_ + "> to=" + JoinRecipients(recipients_) + " verdict unknown: " + why,
                                     EventType::kUnknown);
  archive::Capture* capture = capture_.get();
  RunOnWorker([capture, outcome] { return capture->Commit(outcome); },
              [this, id, why, client_line](const Status& s) {
                if (!s.ok())
                  Log(archive::LogKind::kSystem, "ARCHIVE COMMIT FAILED id=" + id + " (verdict unknown): " +
                                                     s.message() + "; the spool is kept for recovery at the next start",
                                                     EventType::kError);
                capture_.reset();  // committed, or left sealed for Recover(): never Abort after the dot
                end_of_data_sent_ = false;
                WriteClient(MakeReply(client_line));
                CloseAll(why);
              });
}

void SmtpSession::ResetTransaction() {
  if (capture_ && pending_work_ == 0) {
    capture_->Abort("transaction reset before the end of data");  // RSET / EHLO inside BDAT
    capture_.reset();
  }
  bdat_active_ = false;
  bdat_discarding_ = false;
  bdat_failed_reply_.clear();
  bdat_scanner_ = BareNewlineScanner();
  bdat_held_.clear();
  approval_rcpt_ = false;
  command_mail_ = false;
  command_too_big_ = false;
  command_message_.clear();
  DiscardScreen();
  data_held_locally_ = false;
  in_transaction_ = false;
  mail_from_.clear();
  recipients_.clear();
  decoder_.reset();
}

// ---------------------------------------------------------------- BDAT (RFC 3030)

bool SmtpSession::ChunkingOffered() const {
  // Under "normalize" a chunk's byte count would change after we announced
  // it upstream, so CHUNKING is offered only with the reject policy.
  return caps_.chunking && listener_.bare_newline == config::BareNewline::kReject;
}

uint64_t SmtpSession::MessageSizeLimit() const {
  uint64_t mine = listener_.max_message_bytes;
  uint64_t provider = caps_.size_limit;
  if (mine == 0) return provider;
  if (provider == 0) return mine;
  return std::min(mine, provider);
}

size_t SmtpSession::RecipientsCounted() const {
  // A RSET or MAIL still in the queue may end the transaction, but only its
  // reply says so: counting strictly keeps the cap a hard bound.
  size_t n = recipients_.size();
  for (const Pending& p : pending_)
    if (p.expect == Expect::kRcpt || p.expect == Expect::kApprovalRcpt) ++n;
  return n;
}

// Skipping a chunk means reading every byte of it; one that alone is over the
// size limit can never be accepted, so the session ends instead (docs/smtp.md).
void SmtpSession::RefuseOversizedChunk(uint64_t size, uint64_t limit) {
  std::string line = "552 5.3.4 BDAT chunk of " + std::to_string(size) + " bytes exceeds the maximum message size of " +
                     std::to_string(limit) + " bytes";
  if (capture_ || bdat_active_) {
    AbortTransaction(line, "BDAT chunk over the size limit");  // 552, 421, upstream cut, capture aborted
    return;
  }
  Log(archive::LogKind::kConnections, "abort client=" + client_->peer().text + " reason=BDAT chunk over the size limit",
      EventType::kEndedAbort);
  WriteClient(MakeReply(line));
  WriteClient(MakeReply("421 4.7.0 " + local_name_ + " closing connection"));
  CloseAll("BDAT chunk over the size limit");
}

// Runs when "BDAT n [LAST]" reaches the head of the queue: every earlier reply is in.
void SmtpSession::StartBdatChunk(uint64_t size, bool last) {
  if (!bdat_active_) {  // the first chunk of a message: one budget for all its chunks
    body_budget_.Reset(static_cast<uint64_t>(listener_.timeouts.data_block) * 1000,
                       static_cast<uint64_t>(listener_.timeouts.min_data_rate));
  }
  bdat_remaining_ = size;
  bdat_last_ = last;
  phase_ = Phase::kBdatChunk;
  ArmClientTimer();
  if (uint64_t limit = MessageSizeLimit(); limit && size > limit) {
    RefuseOversizedChunk(size, limit);
    return;
  }
  // A chunk outside a transaction is refused here and its bytes are read and
  // dropped (bounded: kDecodeSlice at a time), never relayed: a provider that
  // kept refused chunks would otherwise get a message mailtee never archived.
  if (!ChunkingOffered()) {
    bdat_skip_reply_ = "502 5.5.1 BDAT not offered; use DATA";
  } else if (!authenticated_) {
    bdat_skip_reply_ = "530 5.7.0 authentication required";
  } else if (!in_transaction_) {
    bdat_skip_reply_ = "503 5.5.1 need MAIL command";
  } else if (!bdat_active_ && !approval_rcpt_ && recipients_.empty()) {
    bdat_skip_reply_ = "554 5.5.1 no valid recipients";
  } else if (bdat_discarding_) {
    bdat_skip_reply_ = "452 4.3.1 archive storage unavailable, try again later";
  } else if (bdat_active_ && !bdat_failed_reply_.empty()) {
    bdat_skip_reply_ = bdat_failed_reply_;
  } else {
    bdat_skip_reply_.clear();
  }
  if (!bdat_skip_reply_.empty()) {
    if (bdat_remaining_ == 0) FinishBdatChunk();
    return;
  }
  if (in_transaction_ && approval_rcpt_) {
    // hold_gate.h C1 for BDAT: chunks are collected here, nothing goes upstream.
    if (!bdat_active_) {
      bdat_active_ = true;
      command_mail_ = true;
      command_too_big_ = false;
      command_message_.clear();
      data_failure_ = DataFailure::kNone;
      message_bytes_ = 0;
    }
    if (bdat_remaining_ == 0) FinishBdatChunk();
    return;
  }
  if (!bdat_active_) {
    // First chunk of the message.
    bdat_active_ = true;
    data_failure_ = DataFailure::kNone;
    data_failure_detail_.clear();
    message_bytes_ = 0;
    Status s = env_.sink->Begin(MakeContext(), &capture_);
    if (!s.ok()) {
      capture_.reset();
      Log(archive::LogKind::kSystem, "archive unavailable, BDAT refused: " + s.message(), EventType::kError);
      bdat_discarding_ = true;
      bdat_skip_reply_ = "452 4.3.1 archive storage unavailable, try again later";
      if (bdat_remaining_ == 0) FinishBdatChunk();
      return;
    }
    OpenScreen();  // hold_gate.h D1/D2
  }
  // Checked before the chunk is announced upstream: the provider then holds
  // only whole chunks and a silent RSET ends its transaction (OnDataEnd).
  if (uint64_t limit = MessageSizeLimit();
      limit && message_bytes_ + size > limit && data_failure_ == DataFailure::kNone)
    data_failure_ = DataFailure::kTooBig;
  Command wire;
  wire.verb = Verb::kBdat;
  wire.chunk_size = size;
  wire.last = last;
  if (data_failure_ != DataFailure::kNone) {
    // The message already failed: the upstream gets nothing more (at LAST it
    // is cut, or reset with RSET when only the size failed: OnDataEnd).
  } else if (data_held_locally_) {
    // hold_gate.h D2: this message never goes upstream.
  } else if (last && size == 0 && capture_) {
    bdat_held_ = wire.ToWire();  // sent after the seal
  } else {
    Transcript("P>", wire.ToWire());
    upstream_->Write(wire.ToWire());
  }
  if (bdat_remaining_ == 0) FinishBdatChunk();
}

void SmtpSession::FeedBdatChunk() {
  while (phase_ == Phase::kBdatChunk && bdat_remaining_ > 0 && inbox_offset_ < inbox_.size()) {
    if (upstream_->pending_write_bytes() > net::kHighWatermark) {
      paused_for_upstream_ = true;
      UpdateClientReading();
      return;
    }
    size_t n = static_cast<size_t>(std::min<uint64_t>(bdat_remaining_, inbox_.size() - inbox_offset_));
    n = std::min(n, kDecodeSlice);
    std::string_view bytes = std::string_view(inbox_).substr(inbox_offset_, n);
    inbox_offset_ += n;
    bdat_remaining_ -= n;
    if (!bdat_skip_reply_.empty()) continue;  // consumed and dropped
    if (command_mail_) {
      message_bytes_ += n;
      AppendCommandBytes(bytes);
      continue;
    }
    if (!capture_) {
      upstream_->Write(bytes);  // the provider refused an earlier chunk: it gets the rest for its own error
      continue;
    }
    message_bytes_ += n;
    if (!bdat_scanner_.Scan(bytes) && data_failure_ == DataFailure::kNone)
      data_failure_ = DataFailure::kBareNewline;
    if (data_failure_ != DataFailure::kNone) continue;
    Status s = capture_->Append(bytes);
    if (s.ok() && screen_) s = screen_->Append(bytes);  // hold_gate.h D3
    if (!s.ok()) {
      data_failure_ = DataFailure::kArchive;
      data_failure_detail_ = s.message();
      continue;
    }
    if (data_held_locally_) continue;
    if (bdat_last_ && bdat_remaining_ == 0) {
      // Hold back the very last byte: the provider completes the message only when it arrives.
      upstream_->Write(bytes.substr(0, bytes.size() - 1));
      bdat_held_.assign(bytes.substr(bytes.size() - 1));
    } else {
      upstream_->Write(bytes);
    }
  }
  if (phase_ == Phase::kBdatChunk && bdat_remaining_ == 0) FinishBdatChunk();
}

void SmtpSession::FinishBdatChunk() {
  phase_ = Phase::kCommands;
  if (!bdat_skip_reply_.empty()) {
    QueueLocal(bdat_skip_reply_);
    // A refused BDAT command (502) does not end the transaction: the provider
    // still holds MAIL/RCPT and so do we. Only the archive-refused message
    // (bdat_discarding_) ends at LAST, and then the provider's copy of the
    // transaction is reset too, so both sides agree (docs/smtp.md).
    if (bdat_last_ && (bdat_discarding_ || !bdat_failed_reply_.empty())) ResetBothSides();
    return;
  }
  if (command_mail_) {
    if (bdat_last_) FinishCommandMail();
    else QueueLocal("250 2.0.0 " + std::to_string(message_bytes_) + " octets received");
    return;
  }
  if (!capture_) {
    // The provider refused an earlier chunk (capture aborted): relay the rest as is.
    Pending p;
    p.expect = bdat_last_ ? Expect::kVerbatim : Expect::kBdatChunk;
    pending_.push_back(std::move(p));
    if (!bdat_held_.empty()) {
      upstream_->Write(bdat_held_);
      bdat_held_.clear();
    }
    ArmUpstreamTimer(listener_.timeouts.command);
    if (bdat_last_) ResetTransaction();
    return;
  }
  if (data_failure_ != DataFailure::kNone && bdat_last_) {
    OnDataEnd();  // the abort path: upstream cut, specific reply, 421
    return;
  }
  if (data_failure_ != DataFailure::kNone) {
    // Not the last chunk yet: the upstream has had nothing since the failure;
    // answer once the client says LAST (RFC 3030 lets us fail the message then).
    Pending p;
    p.expect = Expect::kLocal;
    p.local = MakeReply("250 2.0.0 " + std::to_string(message_bytes_) + " octets received");
    pending_.push_back(std::move(p));
    return;
  }
  if (!bdat_last_ && data_held_locally_) {
    QueueLocal("250 2.0.0 " + std::to_string(message_bytes_) + " octets received");
    return;
  }
  if (!bdat_last_) {
    Pending p;
    p.expect = Expect::kBdatChunk;
    pending_.push_back(std::move(p));
    ArmUpstreamTimer(listener_.timeouts.command);
    return;
  }
  if (!bdat_scanner_.Finish()) {
    data_failure_ = DataFailure::kBareNewline;
    OnDataEnd();
    return;
  }
  OnDataEnd();  // seal, then the held-back byte, verdict, commit, reply
}

}  // namespace mailtee::smtp
