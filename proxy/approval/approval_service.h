// ApprovalService: the approval hold at run time. Implements smtp::HoldGate
// for the SMTP sessions, and offers the actions of the web page, the admin API
// and the mail commands. Everything runs on the event loop thread except
// HoldScreen::Persist (worker).
//
// Every hold moves forward through Advance(id), which looks only at the durable
// record, so a crash at any point resumes at the next start (Start()) or sweep:
//   pending   -> (deadline passed) expire / release / escalate per on-expire
//   approved  -> relay the original upstream with the sender's relay account
//                -> relayed (+ notices); transient failure: retried each sweep
//   relayed / rejected / expired / withdrawn, not yet notified -> notices
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "proxy/approval/approval_config.h"
#include "proxy/approval/approval_log.h"
#include "proxy/approval/hold_queue.h"
#include "proxy/approval/notice_builder.h"
#include "proxy/approval/smtp_relayer.h"
#include "proxy/approval/token.h"
#include "proxy/net/timer.h"
#include "proxy/smtp/hold_gate.h"

typedef struct uv_loop_s uv_loop_t;

namespace mailtee::approval {

struct ServiceOptions {
  uv_loop_t* loop = nullptr;
  const ApprovalConfig* config = nullptr;   // must outlive the service
  std::string storage_dir;
  RelayTarget relay;            // host/port/tls/verify/context of the relay listener's upstream (no account)
  ApprovalLog* log = nullptr;   // must outlive the service
  std::function<std::chrono::system_clock::time_point()> clock;  // null: system clock
  uint64_t sweep_interval_ms = 60 * 1000;   // expiry and relay retries
  int max_relay_attempts = 10;
  int max_notice_attempts = 5;              // a failed notice is retried by later sweeps (in memory)
  // Called once per hold when it reaches its final state (relayed, rejected,
  // expired, withdrawn), on the loop, before the notices: the daemon updates
  // the archived report (outcome + approval trail = held.decisions) here.
  std::function<void(const HeldMessage&)> on_final;
};

// Why an action was refused, so callers can answer with the right status
// (the admin API: 404 / 409 / 403 / 500). kSeparationOfDuties: the person may
// not decide on this hold (separation_of_duties.h), always 403.
enum class Refusal { kNone, kNotFound, kNotPending, kNotAuthorized, kStorage, kSeparationOfDuties };

struct ActionResult {
  Status status;                // error: refused (the reason is logged)
  Refusal refusal = Refusal::kNone;  // set by DecideAsAdmin when status is an error; by ActWithToken for duties
  std::string reason_code;      // kSeparationOfDuties: DutyCheck::code, for the console's strings
  std::string reason_ja;        // kSeparationOfDuties: the reason in Japanese (status has it in English)
  HeldMessage held;             // the hold after the action (when known)
  std::string message;          // one line for the user ("approved 20261124-ab (1 of 2 approvals)")
};

class ApprovalService : public smtp::HoldGate {
 public:
  // Loads or creates the secret file and opens the hold queue.
  static Status Create(ServiceOptions options, std::unique_ptr<ApprovalService>* out);
  ~ApprovalService() override;

  // Resumes every unfinished hold and starts the sweep timer.
  void Start();
  // Stops the sweep; relays in flight finish on their own (they own themselves).
  void Stop();

  // smtp::HoldGate
  bool IsApprovalAddress(std::string_view rcpt) const override;
  std::unique_ptr<smtp::HoldScreen> Screen(const smtp::HoldEnvelope& envelope) override;
  std::string HandleMailCommand(const smtp::HoldEnvelope& envelope, std::string_view message) override;

  // Web: GET shows what the token would do without using it; POST acts.
  // authenticated_actor: "" for the web link (the token is the authority);
  // for mail commands the login, which must be the token's approver.
  ActionResult PeekToken(const std::string& token);
  ActionResult ActWithToken(const std::string& token, const std::string& client_ip, const std::string& via,
                            const std::string& reason, const std::string& authenticated_actor);
  // Sender's withdrawal (actor must be the hold's sender or user).
  ActionResult Withdraw(const std::string& held_id, const std::string& actor, const std::string& client_ip,
                        const std::string& via);

  // A decision from the admin console or the root-only CLI socket, with the
  // same checks, durable record, approval-log line and Advance as a link.
  // `as`: a listed approver of the hold, or the active proxy of one.
  // admin_user "": `as` itself acts (the CLI's --as; via "cli"); otherwise the
  // decision names "admin:<admin_user>" as who acted and the approver as on
  // whose behalf, so quorum counts it for that approver and the trail shows
  // the admin. result.held is the hold after Advance (a relay may be in flight).
  ActionResult DecideAsAdmin(const std::string& held_id, const std::string& as, const std::string& admin_user,
                             bool approve, const std::string& reason, const std::string& client_ip,
                             const std::string& via);

  // The hold's next step (see the header comment). Public for the admin API
  // and tests; the sweep calls it for every unfinished hold.
  void Advance(const std::string& held_id);
  void Sweep();

  HoldQueue* queue() { return queue_.get(); }
  const TokenSigner& signer() const { return *signer_; }
  int relays_in_flight() const { return static_cast<int>(in_flight_.size()); }
  size_t notices_waiting_for_retry() const { return outbox_.size(); }

 private:
  friend class HoldScreenImpl;
  ApprovalService(ServiceOptions options, std::unique_ptr<HoldQueue> queue, std::unique_ptr<TokenSigner> signer);

  int64_t Now() const;
  void Log(const std::string& event, const HeldMessage* held, const std::string& actor, const std::string& behalf,
           const std::string& ip, const std::string& via, const std::string& reason);
  // Requests to each approver (or their active proxy), with fresh tokens.
  void SendRequests(const HeldMessage& held, const std::vector<std::string>& approvers);
  void OnHeld(const HeldMessage& held);
  void Send(OutgoingMail mail, const std::string& held_id, int attempt = 1);
  void RetryNotices();
  void Release(const HeldMessage& held);
  void Notify(const HeldMessage& held);
  void Expire(const HeldMessage& held);
  void NotifySender(const HeldMessage& held, OutcomeKind kind);
  std::vector<std::string> OthersThan(const HeldMessage& held, const std::string& actor) const;

  ServiceOptions options_;
  const ApprovalConfig& config_;
  std::unique_ptr<HoldQueue> queue_;
  std::unique_ptr<TokenSigner> signer_;
  NoticeBuilder notices_;
  net::Timer sweep_;
  std::set<std::string> in_flight_;   // held ids being relayed now
  struct FailedNotice {
    OutgoingMail mail;
    std::string held_id;
    int attempts = 0;
    int64_t retry_at = 0;
  };
  std::vector<FailedNotice> outbox_;  // lost at restart: waitlist re-issues requests
  std::shared_ptr<bool> alive_;       // relay callbacks check it: the service may be gone
};

}  // namespace mailtee::approval
