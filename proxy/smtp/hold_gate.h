// HoldGate: what an SMTP session asks the approval service (proxy/approval/,
// docs/approval.md). The session sees only this header; ApprovalService
// implements it. A listener without approval has no gate (nullptr): the
// session behaves exactly as before.
//
// What the session does, in order (durability: the hold is recorded on disk
// before the client hears 250; nothing held ever reaches the provider):
//
//  RCPT TO:
//   R1. IsApprovalAddress(rcpt): answer "250 2.1.5 approval address" locally,
//       never relay it. Mixed with other recipients in one transaction (either
//       order): "550 5.7.1 the approval address must be the only recipient".
//
//  DATA / BDAT when the approval address is the (only) recipient:
//   C1. Answer 354 locally (no DATA upstream; the upstream transaction is
//       RSET by the session or left idle). Collect the unstuffed message, at
//       most kMaxCommandMessageBytes (more: "552 5.3.4 command mail too big").
//   C2. reply = HandleMailCommand(envelope, message). It runs on the loop,
//       answers at once (its own work — notices, relays — continues
//       asynchronously) and returns the reply line ("250 2.0.0 ..." or
//       "550 5.7.1 ..."). Nothing is archived, nothing relayed.
//
//  DATA / BDAT otherwise (the DATA marker reached the queue head, recipients
//  accepted, capture opened):
//   D1. screen = Screen(envelope). nullptr: relay as today, stop here.
//   D2. screen->held_regardless_of_content() true: the session may answer 354
//       locally and never send DATA upstream (preferred: the upstream session
//       stays usable). Otherwise DATA streams upstream as today.
//   D3. Every archive chunk: capture->Append(bytes) AND screen->Append(bytes)
//       (same unstuffed bytes). A failing screen Append is an archive failure.
//   D4. End of data: SealForRelay() as today (worker). Then, on the loop,
//       screen->ShouldHold(). False: screen->Discard(), send the dot, as today.
//   D5. True: do NOT send the final dot. On a worker thread:
//       screen->Persist(capture->id()) — fsyncs the hold copy and records the
//       hold (state pending) in the hold queue — then capture->Commit(
//       Outcome{kHeld, 250, reply}) with reply = screen->ClientReply().
//       Persist failing: abort path (452 4.3.1, capture aborted, screen->Discard()).
//   D6. Back on the loop: screen->Announce() (requests to approvers, notice to
//       the sender, expiry timer — asynchronous, failures are logged), then
//       the client gets ClientReply(): "250 2.0.0 held for approval <id>".
//   D7. If DATA went upstream (D2 false), the provider is inside DATA: cut the
//       upstream exactly like the existing abort path (the provider drops the
//       transaction without the dot), then after the 250 to the client answer
//       the next command with "421 4.3.0 transaction aborted; please
//       reconnect" and close (same rule as docs/smtp.md: no password kept to
//       log in again).
//   Any abort before D5 (client gone, bare LF, too big): screen->Discard().
//
// Threading: Screen/Append/ShouldHold/ClientReply/Announce/Discard on the loop;
// Persist on a worker. A HoldScreen is used by one thread at a time and must be
// destroyed on the loop after Announce or Discard.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/status.h"

namespace mailtee::smtp {

struct HoldEnvelope {
  std::string listener;
  std::string login;                    // authenticated login ("" when none: account listeners)
  std::string client_ip;
  std::string envelope_from;
  std::vector<std::string> recipients;  // accepted RCPTs
};

class HoldScreen {
 public:
  virtual ~HoldScreen() = default;
  // The envelope alone already holds this message (rule when=always /
  // recipient-domain / external matched): DATA need not go upstream at all.
  virtual bool held_regardless_of_content() const = 0;
  virtual Status Append(std::string_view bytes) = 0;
  virtual bool ShouldHold() = 0;
  virtual Status Persist(const std::string& archive_id) = 0;
  virtual std::string ClientReply() const = 0;   // "250 2.0.0 held for approval <id>"
  virtual void Announce() = 0;
  virtual void Discard() = 0;
};

class HoldGate {
 public:
  static constexpr size_t kMaxCommandMessageBytes = 256 << 10;
  virtual ~HoldGate() = default;
  virtual bool IsApprovalAddress(std::string_view rcpt) const = 0;
  virtual std::unique_ptr<HoldScreen> Screen(const HoldEnvelope& envelope) = 0;
  virtual std::string HandleMailCommand(const HoldEnvelope& envelope, std::string_view message) = 0;
};

}  // namespace mailtee::smtp
