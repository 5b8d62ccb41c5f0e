// HoldQueue: the durable state of approval holds, in LevelDB at
// <storage>/index/holds (every write sync'd), with each held message's bytes
// in <storage>/holds/<id>.eml (written by HoldSpool, hold_spool.h).
//
//   h/<id>          HeldMessage (JSON)
//   t/<fingerprint> a token that has been used (single use), with its held id
//   d/<approver>    Delegation: approver -> proxy approver, optional end date
//
// A decision and the consumption of its token are one atomic batch, so a
// replayed token can never decide twice, even across a crash. Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/status.h"

namespace leveldb {
class DB;
}

namespace mailtee::approval {

struct DutyCheck;  // separation_of_duties.h

enum class HoldState { kPending, kApproved, kRejected, kExpired, kWithdrawn, kRelayed };
const char* ToString(HoldState state);
bool ParseHoldState(const std::string& text, HoldState* state);

struct Decision {
  std::string approver;       // who acted
  std::string on_behalf_of;   // the rule's approver when a delegate acted; else ""
  std::string action;         // "approve" | "reject" | "withdraw" | "expire" | "escalate" | "release"
  int64_t at = 0;             // unix seconds
  std::string client_ip;
  std::string via;            // "web" | "mail" | "cli" | "timer"
  std::string reason;
};

struct HeldMessage {
  std::string id;             // the archive id of the captured message
  HoldState state = HoldState::kPending;
  std::string user;           // archive key (login or envelope sender)
  std::string listener;
  std::string client_ip;
  std::string sender;
  std::vector<std::string> recipients;
  std::string subject;        // decoded UTF-8
  std::vector<std::string> attachment_names;
  uint64_t size = 0;
  std::string rule;           // Rule::Describe()
  std::string reason;         // why the rule matched
  std::vector<std::string> approvers;  // the rule's approvers (plus escalation)
  int quorum = 1;
  std::vector<Decision> decisions;
  int64_t held_at = 0;
  int64_t expires_at = 0;
  bool escalated = false;
  std::string relay_result;   // provider's reply to the release, or the last relay error
  int relay_attempts = 0;
  bool outcome_notified = false;  // the sender/approvers heard the final outcome (sent by the daemon)

  // Approvals by distinct people (identity.h): one person approving for two
  // approvers counts once.
  int Approvals() const;
  bool DecidedBy(const std::string& approver) const;
  // Who sent it, for separation of duties and withdrawal: the login when there
  // was one, else the envelope sender.
  std::string Owner() const { return user.empty() ? sender : user; }
  // Where the sender's notices go: the login when it is a mail address, else
  // the envelope sender ("" for MAIL FROM:<> without such a login: none).
  std::string NoticeAddress() const;
};

struct Delegation {
  std::string approver;
  std::string proxy;
  int64_t until = 0;          // unix seconds, end of the given day; 0 = open-ended
  bool ActiveAt(int64_t now) const { return until == 0 || now < until; }
};

class HoldQueue {
 public:
  // Creates <storage>/index/holds and <storage>/holds (0700) and opens the DB.
  // Fails with "locked" when the daemon has it open.
  static Status Open(const std::string& storage_dir, std::unique_ptr<HoldQueue>* out);
  ~HoldQueue();

  std::string MessagePath(const std::string& id) const;

  Status Put(const HeldMessage& held);
  // *found false (and ok) when no such hold.
  Status Get(const std::string& id, HeldMessage* held, bool* found);
  // All holds, or only those in `state`, oldest first.
  Status List(std::vector<HeldMessage>* out, const HoldState* only = nullptr);

  // Who may decide for `held`: a listed approver, or the active proxy of one.
  // *on_behalf_of is that approver when `actor` is a proxy. Error when neither.
  Status Authorize(const HeldMessage& held, const std::string& actor, int64_t now, std::string* on_behalf_of);

  // Atomically: refuses a used token (token_fingerprint non-empty), a hold that
  // is not pending, an approver who already decided, and a decision that breaks
  // separation of duties (separation_of_duties.h; *duty says which, when given);
  // appends the decision; moves the state (one reject -> rejected; approvals >=
  // quorum -> approved; withdraw -> withdrawn) and records the token as used,
  // in one sync'd batch.
  Status Decide(const std::string& id, const Decision& decision, const std::string& token_fingerprint,
                HeldMessage* updated, DutyCheck* duty = nullptr);

  // State change outside a decision (expiry, relay result): fails unless the
  // hold is currently in `from`.
  Status Transition(const std::string& id, HoldState from, HoldState to, const Decision* note,
                    const std::string& relay_result, HeldMessage* updated);

  bool TokenUsed(const std::string& token_fingerprint);

  Status SetDelegation(const Delegation& delegation);
  Status ClearDelegation(const std::string& approver);
  Status GetDelegation(const std::string& approver, Delegation* out, bool* found);
  Status ListDelegations(std::vector<Delegation>* out);

 private:
  HoldQueue(std::string storage_dir, leveldb::DB* db);
  Status GetLocked(const std::string& id, HeldMessage* held, bool* found);
  const std::string storage_dir_;
  std::mutex mu_;
  std::unique_ptr<leveldb::DB> db_;
};

// JSON (de)serialisation, exposed for the admin API and the CLI.
std::string HeldMessageToJson(const HeldMessage& held);
bool HeldMessageFromJson(const std::string& json, HeldMessage* held);

}  // namespace mailtee::approval
