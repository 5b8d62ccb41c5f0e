#include "proxy/approval/hold_queue.h"

#include <leveldb/db.h>
#include <leveldb/write_batch.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>

#include "proxy/approval/address_pattern.h"
#include "proxy/approval/identity.h"
#include "proxy/approval/separation_of_duties.h"

namespace mailtee::approval {
namespace {

using nlohmann::json;

const char* const kStateNames[] = {"pending", "approved", "rejected", "expired", "withdrawn", "relayed"};

Status MakeDir(const std::string& path) {
  if (mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) return Status::PosixError("mkdir " + path, errno);
  return Status::Ok();
}

Status FromLevelDb(const leveldb::Status& s, const std::string& context) {
  return s.ok() ? Status::Ok() : Status::Error(context + ": " + s.ToString());
}

leveldb::WriteOptions Sync() {
  leveldb::WriteOptions w;
  w.sync = true;
  return w;
}

json DecisionToJson(const Decision& d) {
  return json{{"approver", d.approver}, {"on_behalf_of", d.on_behalf_of}, {"action", d.action}, {"at", d.at},
              {"client_ip", d.client_ip}, {"via", d.via}, {"reason", d.reason}};
}

Decision DecisionFromJson(const json& j) {
  Decision d;
  d.approver = j.value("approver", "");
  d.on_behalf_of = j.value("on_behalf_of", "");
  d.action = j.value("action", "");
  d.at = j.value("at", int64_t{0});
  d.client_ip = j.value("client_ip", "");
  d.via = j.value("via", "");
  d.reason = j.value("reason", "");
  return d;
}

}  // namespace

const char* ToString(HoldState state) { return kStateNames[static_cast<int>(state)]; }

bool ParseHoldState(const std::string& text, HoldState* state) {
  for (int i = 0; i < 6; ++i) {
    if (text == kStateNames[i]) {
      *state = static_cast<HoldState>(i);
      return true;
    }
  }
  return false;
}

int HeldMessage::Approvals() const {
  std::vector<std::string> people;
  for (const Decision& d : decisions) {
    if (d.action != "approve") continue;
    if (std::none_of(people.begin(), people.end(), [&](const std::string& p) { return SamePerson(p, d.approver); })) {
      people.push_back(d.approver);
    }
  }
  return static_cast<int>(people.size());
}

std::string HeldMessage::NoticeAddress() const {
  return IsPlainAddress(user) ? NormalizeAddress(user) : sender;
}

bool HeldMessage::DecidedBy(const std::string& approver) const {
  for (const Decision& d : decisions) {
    if ((d.action == "approve" || d.action == "reject") &&
        (d.approver == approver || (!d.on_behalf_of.empty() && d.on_behalf_of == approver))) {
      return true;
    }
  }
  return false;
}

std::string HeldMessageToJson(const HeldMessage& h) {
  json decisions = json::array();
  for (const Decision& d : h.decisions) decisions.push_back(DecisionToJson(d));
  json j{{"id", h.id},
         {"state", ToString(h.state)},
         {"user", h.user},
         {"listener", h.listener},
         {"client_ip", h.client_ip},
         {"sender", h.sender},
         {"recipients", h.recipients},
         {"subject", h.subject},
         {"attachment_names", h.attachment_names},
         {"size", h.size},
         {"rule", h.rule},
         {"reason", h.reason},
         {"approvers", h.approvers},
         {"quorum", h.quorum},
         {"decisions", decisions},
         {"held_at", h.held_at},
         {"expires_at", h.expires_at},
         {"escalated", h.escalated},
         {"relay_result", h.relay_result},
         {"relay_attempts", h.relay_attempts},
         {"outcome_notified", h.outcome_notified}};
  // Subjects arrive decoded but may still hold invalid UTF-8: replace, never throw.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool HeldMessageFromJson(const std::string& text, HeldMessage* h) {
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return false;
  try {
    *h = HeldMessage();
    h->id = j.value("id", "");
    if (!ParseHoldState(j.value("state", ""), &h->state)) return false;
    h->user = j.value("user", "");
    h->listener = j.value("listener", "");
    h->client_ip = j.value("client_ip", "");
    h->sender = j.value("sender", "");
    h->recipients = j.value("recipients", std::vector<std::string>{});
    h->subject = j.value("subject", "");
    h->attachment_names = j.value("attachment_names", std::vector<std::string>{});
    h->size = j.value("size", uint64_t{0});
    h->rule = j.value("rule", "");
    h->reason = j.value("reason", "");
    h->approvers = j.value("approvers", std::vector<std::string>{});
    h->quorum = j.value("quorum", 1);
    if (j.contains("decisions") && j["decisions"].is_array()) {
      for (const json& d : j["decisions"]) h->decisions.push_back(DecisionFromJson(d));
    }
    h->held_at = j.value("held_at", int64_t{0});
    h->expires_at = j.value("expires_at", int64_t{0});
    h->escalated = j.value("escalated", false);
    h->relay_result = j.value("relay_result", "");
    h->relay_attempts = j.value("relay_attempts", 0);
    h->outcome_notified = j.value("outcome_notified", false);
  } catch (const json::exception&) {
    return false;  // a field of the wrong type: a corrupt record
  }
  return !h->id.empty();
}

HoldQueue::HoldQueue(std::string storage_dir, leveldb::DB* db) : storage_dir_(std::move(storage_dir)), db_(db) {}
HoldQueue::~HoldQueue() = default;

Status HoldQueue::Open(const std::string& storage_dir, std::unique_ptr<HoldQueue>* out) {
  for (const std::string& d : {storage_dir, storage_dir + "/index", storage_dir + "/holds"}) {
    Status s = MakeDir(d);
    if (!s.ok()) return s.WithContext("while opening the hold queue");
  }
  leveldb::Options options;
  options.create_if_missing = true;
  options.paranoid_checks = true;
  leveldb::DB* db = nullptr;
  const std::string path = storage_dir + "/index/holds";
  Status s = FromLevelDb(leveldb::DB::Open(options, path, &db), "open hold queue " + path);
  if (!s.ok()) return s;
  out->reset(new HoldQueue(storage_dir, db));
  return Status::Ok();
}

std::string HoldQueue::MessagePath(const std::string& id) const { return storage_dir_ + "/holds/" + id + ".eml"; }

Status HoldQueue::Put(const HeldMessage& held) {
  std::lock_guard<std::mutex> lock(mu_);
  return FromLevelDb(db_->Put(Sync(), "h/" + held.id, HeldMessageToJson(held)), "store hold " + held.id);
}

Status HoldQueue::GetLocked(const std::string& id, HeldMessage* held, bool* found) {
  std::string value;
  leveldb::Status s = db_->Get(leveldb::ReadOptions(), "h/" + id, &value);
  *found = false;
  if (s.IsNotFound()) return Status::Ok();
  if (!s.ok()) return FromLevelDb(s, "read hold " + id);
  if (!HeldMessageFromJson(value, held)) return Status::Error("hold record " + id + " is corrupt");
  *found = true;
  return Status::Ok();
}

Status HoldQueue::Get(const std::string& id, HeldMessage* held, bool* found) {
  std::lock_guard<std::mutex> lock(mu_);
  return GetLocked(id, held, found);
}

Status HoldQueue::List(std::vector<HeldMessage>* out, const HoldState* only) {
  std::lock_guard<std::mutex> lock(mu_);
  out->clear();
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(leveldb::ReadOptions()));
  for (it->Seek("h/"); it->Valid() && it->key().starts_with("h/"); it->Next()) {
    HeldMessage h;
    if (!HeldMessageFromJson(it->value().ToString(), &h)) {
      return Status::Error("hold record " + it->key().ToString().substr(2) + " is corrupt");
    }
    if (only == nullptr || h.state == *only) out->push_back(std::move(h));
  }
  if (!it->status().ok()) return FromLevelDb(it->status(), "list holds");
  std::stable_sort(out->begin(), out->end(),
                   [](const HeldMessage& a, const HeldMessage& b) { return a.held_at < b.held_at; });
  return Status::Ok();
}

Status HoldQueue::Authorize(const HeldMessage& held, const std::string& actor_raw, int64_t now,
                            std::string* on_behalf_of) {
  const std::string actor = NormalizeAddress(actor_raw);
  on_behalf_of->clear();
  for (const std::string& a : held.approvers) {
    if (a == actor) return Status::Ok();
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& a : held.approvers) {
    std::string value;
    if (!db_->Get(leveldb::ReadOptions(), "d/" + a, &value).ok()) continue;
    const json j = json::parse(value, nullptr, false);
    if (!j.is_object()) continue;
    Delegation d{a, j.value("proxy", ""), j.value("until", int64_t{0})};
    if (d.proxy == actor && d.ActiveAt(now)) {
      *on_behalf_of = a;
      return Status::Ok();
    }
  }
  return Status::Error(actor + " is not an approver of " + held.id + " (nor an active proxy of one)");
}

Status HoldQueue::Decide(const std::string& id, const Decision& decision, const std::string& token_fingerprint,
                         HeldMessage* updated, DutyCheck* duty) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!token_fingerprint.empty()) {
    std::string used;
    if (db_->Get(leveldb::ReadOptions(), "t/" + token_fingerprint, &used).ok()) {
      return Status::Error("token already used (replay) for " + used);
    }
  }
  HeldMessage h;
  bool found = false;
  Status s = GetLocked(id, &h, &found);
  if (!s.ok()) return s;
  if (!found) return Status::Error("no held message " + id);
  if (h.state != HoldState::kPending) {
    return Status::Error("held message " + id + " is already " + ToString(h.state));
  }
  const std::string who = decision.on_behalf_of.empty() ? decision.approver : decision.on_behalf_of;
  if ((decision.action == "approve" || decision.action == "reject") && h.DecidedBy(who)) {
    return Status::Error(who + " has already decided on " + id);
  }
  DutyCheck check = CheckSeparationOfDuties(h, decision);
  if (!check.ok()) {
    Status refused = Status::Error(check.en);
    if (duty) *duty = std::move(check);
    return refused;
  }
  h.decisions.push_back(decision);
  if (decision.action == "reject") {
    h.state = HoldState::kRejected;
  } else if (decision.action == "approve") {
    if (h.Approvals() >= h.quorum) h.state = HoldState::kApproved;
  } else if (decision.action == "withdraw") {
    h.state = HoldState::kWithdrawn;
  } else {
    return Status::Error("unknown decision '" + decision.action + "'");
  }
  leveldb::WriteBatch batch;
  batch.Put("h/" + id, HeldMessageToJson(h));
  if (!token_fingerprint.empty()) batch.Put("t/" + token_fingerprint, id);
  s = FromLevelDb(db_->Write(Sync(), &batch), "record decision on " + id);
  if (!s.ok()) return s;
  if (updated) *updated = std::move(h);
  return Status::Ok();
}

Status HoldQueue::Transition(const std::string& id, HoldState from, HoldState to, const Decision* note,
                             const std::string& relay_result, HeldMessage* updated) {
  std::lock_guard<std::mutex> lock(mu_);
  HeldMessage h;
  bool found = false;
  Status s = GetLocked(id, &h, &found);
  if (!s.ok()) return s;
  if (!found) return Status::Error("no held message " + id);
  if (h.state != from) {
    return Status::Error("held message " + id + " is " + ToString(h.state) + ", not " + ToString(from));
  }
  h.state = to;
  if (note) h.decisions.push_back(*note);
  if (!relay_result.empty()) h.relay_result = relay_result;
  s = FromLevelDb(db_->Put(Sync(), "h/" + id, HeldMessageToJson(h)), "update hold " + id);
  if (s.ok() && updated) *updated = std::move(h);
  return s;
}

bool HoldQueue::TokenUsed(const std::string& token_fingerprint) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string v;
  return db_->Get(leveldb::ReadOptions(), "t/" + token_fingerprint, &v).ok();
}

Status HoldQueue::SetDelegation(const Delegation& d) {
  if (!IsPlainAddress(d.approver) || !IsPlainAddress(d.proxy)) {
    return Status::Error("delegation needs two mail addresses");
  }
  if (NormalizeAddress(d.approver) == NormalizeAddress(d.proxy)) return Status::Error("an approver cannot be their own proxy");
  std::lock_guard<std::mutex> lock(mu_);
  const json j{{"proxy", NormalizeAddress(d.proxy)}, {"until", d.until}};
  return FromLevelDb(db_->Put(Sync(), "d/" + NormalizeAddress(d.approver), j.dump()), "store delegation");
}

Status HoldQueue::ClearDelegation(const std::string& approver) {
  std::lock_guard<std::mutex> lock(mu_);
  return FromLevelDb(db_->Delete(Sync(), "d/" + NormalizeAddress(approver)), "remove delegation");
}

Status HoldQueue::GetDelegation(const std::string& approver, Delegation* out, bool* found) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string value;
  *found = false;
  leveldb::Status s = db_->Get(leveldb::ReadOptions(), "d/" + NormalizeAddress(approver), &value);
  if (s.IsNotFound()) return Status::Ok();
  if (!s.ok()) return FromLevelDb(s, "read delegation");
  const json j = json::parse(value, nullptr, false);
  if (!j.is_object()) return Status::Error("delegation record of " + approver + " is corrupt");
  *out = Delegation{NormalizeAddress(approver), j.value("proxy", ""), j.value("until", int64_t{0})};
  *found = true;
  return Status::Ok();
}

Status HoldQueue::ListDelegations(std::vector<Delegation>* out) {
  std::lock_guard<std::mutex> lock(mu_);
  out->clear();
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(leveldb::ReadOptions()));
  for (it->Seek("d/"); it->Valid() && it->key().starts_with("d/"); it->Next()) {
    const json j = json::parse(it->value().ToString(), nullptr, false);
    if (!j.is_object()) continue;
    out->push_back(Delegation{it->key().ToString().substr(2), j.value("proxy", ""), j.value("until", int64_t{0})});
  }
  return FromLevelDb(it->status(), "list delegations");
}

}  // namespace mailtee::approval
