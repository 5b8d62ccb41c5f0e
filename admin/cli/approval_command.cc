#include "admin/cli/approval_command.h"

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "config/loader.h"
#include "proxy/approval/hold_admin.h"
#include "proxy/approval/hold_queue.h"

namespace mailtee::cli {
namespace {

const char* kUsage =
    "usage: mailtee approval <command> --config FILE\n"
    "  list [--all] [--json]                       pending holds (--all: every state)\n"
    "  approve ID --as APPROVER                    approve as that approver (or their proxy)\n"
    "  reject ID --as APPROVER [--reason TEXT]     reject; the sender is told the reason\n"
    "  delegate APPROVER PROXY [--until YYYY-MM-DD]   PROXY decides for APPROVER\n"
    "  delegate APPROVER --clear                   end the delegation\n"
    "The daemon must be stopped (it holds the hold queue); it relays approved mail\n"
    "and sends the notices when it starts.\n";

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
  if (message.find("lock") != std::string::npos) {
    std::fprintf(stderr, "  the daemon holds the hold queue: stop it first (the admin API will offer this later)\n");
  }
  return 1;
}

}  // namespace

int ApprovalCommand(const Args& args) {
  const std::vector<std::string> pos = Positional(args);
  if (pos.empty() || HasFlag(args, "--help")) {
    std::fputs(kUsage, pos.empty() ? stderr : stdout);
    return pos.empty() ? 2 : 0;
  }
  const std::string config_path = FlagValue(args, "--config");
  if (config_path.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  config::LoadResult loaded = config::LoadFile(config_path);
  if (!loaded.ok()) {
    for (const auto& p : loaded.problems) std::fprintf(stderr, "%s\n", p.ToString().c_str());
    return 1;
  }
  std::unique_ptr<approval::HoldQueue> queue;
  Status s = approval::HoldQueue::Open(loaded.config.storage_dir, &queue);
  if (!s.ok()) return Fail(s.message());
  approval::ApprovalLog log(loaded.config.storage_dir + "/logs", loaded.config.logs.retention_days, false);
  if (Status o = log.Open(); !o.ok()) return Fail(o.message());
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();

  const std::string& command = pos[0];
  if (command == "list") {
    std::vector<approval::HeldMessage> holds;
    const approval::HoldState pending = approval::HoldState::kPending;
    s = queue->List(&holds, HasFlag(args, "--all") ? nullptr : &pending);
    if (!s.ok()) return Fail(s.message());
    if (HasFlag(args, "--json")) {
      std::string out = "[";
      for (size_t i = 0; i < holds.size(); ++i) out += (i ? "," : "") + approval::HeldMessageToJson(holds[i]);
      std::printf("%s]\n", out.c_str());
    } else {
      for (const auto& h : holds) std::printf("%s\n", approval::FormatHoldLine(h).c_str());
      std::fprintf(stderr, "%zu hold(s)\n", holds.size());
    }
    return 0;
  }
  if (command == "approve" || command == "reject") {
    const std::string as = FlagValue(args, "--as");
    if (pos.size() != 2 || as.empty()) {
      std::fputs(kUsage, stderr);
      return 2;
    }
    approval::HeldMessage h;
    s = approval::AdminDecide(queue.get(), &log, pos[1], command, as, FlagValue(args, "--reason"), now, &h);
    if (!s.ok()) return Fail(s.message());
    std::printf("%s\n", approval::FormatHoldLine(h).c_str());
    return 0;
  }
  if (command == "delegate") {
    const bool clear = HasFlag(args, "--clear");
    if ((clear && pos.size() != 2) || (!clear && pos.size() != 3)) {
      std::fputs(kUsage, stderr);
      return 2;
    }
    s = approval::AdminDelegate(queue.get(), &log, pos[1], clear ? "" : pos[2], FlagValue(args, "--until"));
    if (!s.ok()) return Fail(s.message());
    std::printf(clear ? "delegation of %s cleared\n" : "%s: proxy set\n", pos[1].c_str());
    return 0;
  }
  std::fprintf(stderr, "mailtee approval: unknown command '%s'\n\n%s", command.c_str(), kUsage);
  return 2;
}

}  // namespace mailtee::cli
