#include "admin/cli/approval_command.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "admin/cli/act_as_storage_owner.h"
#include "admin/local_client.h"
#include "config/loader.h"
#include "proxy/approval/hold_admin.h"
#include "proxy/approval/hold_queue.h"
#include "proxy/approval/mime_writer.h"

namespace mailtee::cli {
namespace {

const char* kUsage =
    "usage: mailtee approval <command> --config FILE\n"
    "  list [--all] [--json]                       pending holds (--all: every state)\n"
    "  approve ID --as APPROVER                    approve as that approver (or their proxy)\n"
    "  reject ID --as APPROVER [--reason TEXT]     reject; the sender is told the reason\n"
    "  delegate APPROVER PROXY [--until YYYY-MM-DD]   PROXY decides for APPROVER\n"
    "  delegate APPROVER --clear                   end the delegation\n"
    "While the daemon runs, the commands go through its local admin socket\n"
    "(<storage>/admin.sock, root only) and approved mail is relayed at once; when it\n"
    "is stopped they open the hold queue, and the daemon relays approved mail and\n"
    "sends the notices when it starts.\n";

bool HasFlag(const Args& args, const std::string& flag) {
  for (const auto& a : args) {
    if (a == flag) return true;
  }
  return false;
}

// Positional arguments: everything that is neither a flag nor a flag's value.
std::vector<std::string> Positional(const Args& args) {
  static const char* kValued[] = {"--config", "--as", "--reason", "--until"};
  std::vector<std::string> out;
  for (size_t i = 0; i < args.size(); ++i) {
    bool valued = false;
    for (const char* f : kValued) valued |= args[i] == f;
    if (valued) {
      ++i;
    } else if (args[i].rfind("--", 0) != 0) {
      out.push_back(args[i]);
    }
  }
  return out;
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "mailtee approval: %s\n", message.c_str());
  return 1;
}

using nlohmann::json;

// One request to the running daemon's local API; the answer's JSON in *out.
// Returns 0, or the exit code after printing the error.
int AskDaemon(const std::string& socket, const std::string& method, const std::string& target, const json& body,
              json* out) {
  admin::LocalResponse r;
  Status s = admin::LocalApiRequest(socket, method, target, body.is_null() ? "" : body.dump(), &r);
  if (!s.ok()) return Fail(s.message() + " (the hold queue is locked, so the daemon should be answering there)");
  *out = json::parse(r.body, nullptr, false);
  if (r.status != 200) {
    const std::string why = out->is_object() && out->contains("error") && (*out)["error"].is_string()
                                ? (*out)["error"].get<std::string>()
                                : r.body;
    return Fail(why + " (HTTP " + std::to_string(r.status) + " from the daemon)");
  }
  if (!out->is_object()) return Fail("unreadable answer from the daemon");
  return 0;
}

void PrintHold(const json& item) {
  approval::HeldMessage h;
  if (approval::HeldMessageFromJson(item.dump(), &h)) std::printf("%s\n", approval::FormatHoldLine(h).c_str());
}

// One approval command line, checked once for both ways of carrying it out
// (through the daemon, or on the hold queue directly).
struct Request {
  std::string command;  // list | approve | reject | delegate
  bool all = false, as_json = false;              // list
  std::string id, as, reason;                     // approve, reject
  std::string approver, proxy, until;             // delegate
  bool clear = false;                             // delegate --clear
};

// False (usage printed, exit code 2) when the arguments do not fit the command.
bool ParseRequest(const Args& args, const std::vector<std::string>& pos, Request* r) {
  r->command = pos[0];
  if (r->command == "list") {
    r->all = HasFlag(args, "--all");
    r->as_json = HasFlag(args, "--json");
    return true;
  }
  if (r->command == "approve" || r->command == "reject") {
    r->as = FlagValue(args, "--as");
    r->reason = FlagValue(args, "--reason");
    if (pos.size() != 2 || r->as.empty()) return false;
    r->id = pos[1];
    return true;
  }
  if (r->command == "delegate") {
    r->clear = HasFlag(args, "--clear");
    if (pos.size() != (r->clear ? 2u : 3u)) return false;
    r->approver = pos[1];
    r->proxy = r->clear ? "" : pos[2];
    r->until = FlagValue(args, "--until");
    return true;
  }
  std::fprintf(stderr, "mailtee approval: unknown command '%s'\n\n", r->command.c_str());
  return false;
}

// The commands through the daemon (it holds the hold queue's lock).
int ViaDaemon(const Request& r, const std::string& storage_dir) {
  const std::string socket = admin::AdminSocketPath(storage_dir);
  json answer;
  if (r.command == "list") {
    if (int rc = AskDaemon(socket, "GET", std::string("/api/approvals?limit=2000&state=") + (r.all ? "all" : "pending"),
                           nullptr, &answer)) {
      return rc;
    }
    json items = answer.value("items", json::array());
    if (r.all) std::reverse(items.begin(), items.end());  // the API lists "all" newest first; print oldest first as offline
    if (r.as_json) {
      std::printf("%s\n", items.dump(-1, ' ', false, json::error_handler_t::replace).c_str());
    } else {
      for (const json& item : items) PrintHold(item);
      std::fprintf(stderr, "%zu hold(s)%s\n", items.size(), answer.value("truncated", false) ? " (more not shown)" : "");
    }
    return 0;
  }
  if (r.command == "approve" || r.command == "reject") {
    json body{{"as", r.as}, {"reason", r.reason}};
    const std::string target = "/api/approvals/" + approval::PercentEncode(r.id) + "/" + r.command;
    if (int rc = AskDaemon(socket, "POST", target, body, &answer)) return rc;
    std::printf("%s\n", answer.value("message", std::string()).c_str());
    if (answer.contains("item")) PrintHold(answer["item"]);
    return 0;
  }
  // delegate
  json body{{"approver", r.approver}, {"proxy", r.proxy}, {"until", r.until}};
  if (int rc = AskDaemon(socket, "POST", "/api/approvals/delegate", body, &answer)) return rc;
  std::printf("%s\n", answer.value("message", std::string()).c_str());
  return 0;
}

}  // namespace

int ApprovalCommand(const Args& args) {
  const std::vector<std::string> pos = Positional(args);
  if (pos.empty() || HasFlag(args, "--help")) {
    std::fputs(kUsage, pos.empty() ? stderr : stdout);
    return pos.empty() ? 2 : 0;
  }
  const std::string config_path = FlagValue(args, "--config");
  Request r;
  if (config_path.empty() || !ParseRequest(args, pos, &r)) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  config::LoadResult loaded = config::LoadFile(config_path);
  if (!loaded.ok()) {
    for (const auto& p : loaded.problems) std::fprintf(stderr, "%s\n", p.ToString().c_str());
    return 1;
  }
  if (Status owner = ActAsOwnerOf(loaded.config.storage_dir); !owner.ok()) return Fail(owner.message());
  std::unique_ptr<approval::HoldQueue> queue;
  Status s = approval::HoldQueue::Open(loaded.config.storage_dir, &queue);
  // LevelDB's lock is held: the daemon runs and owns the queue; ask it.
  if (!s.ok() && s.message().find("lock") != std::string::npos) return ViaDaemon(r, loaded.config.storage_dir);
  if (!s.ok()) return Fail(s.message());
  approval::ApprovalLog log(loaded.config.storage_dir + "/logs", loaded.config.logs.retention_days, false);
  if (Status o = log.Open(); !o.ok()) return Fail(o.message());
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();

  if (r.command == "list") {
    std::vector<approval::HeldMessage> holds;
    const approval::HoldState pending = approval::HoldState::kPending;
    s = queue->List(&holds, r.all ? nullptr : &pending);
    if (!s.ok()) return Fail(s.message());
    if (r.as_json) {
      std::string out = "[";
      for (size_t i = 0; i < holds.size(); ++i) out += (i ? "," : "") + approval::HeldMessageToJson(holds[i]);
      std::printf("%s]\n", out.c_str());
    } else {
      for (const auto& h : holds) std::printf("%s\n", approval::FormatHoldLine(h).c_str());
      std::fprintf(stderr, "%zu hold(s)\n", holds.size());
    }
    return 0;
  }
  if (r.command == "approve" || r.command == "reject") {
    approval::HeldMessage h;
    s = approval::AdminDecide(queue.get(), &log, r.id, r.command, r.as, r.reason, now, &h);
    if (!s.ok()) return Fail(s.message());
    std::printf("%s\n", approval::FormatHoldLine(h).c_str());
    return 0;
  }
  // delegate
  s = approval::AdminDelegate(queue.get(), &log, r.approver, r.proxy, r.until);
  if (!s.ok()) return Fail(s.message());
  std::printf(r.clear ? "delegation of %s cleared\n" : "%s: proxy set\n", r.approver.c_str());
  return 0;
}

}  // namespace mailtee::cli
