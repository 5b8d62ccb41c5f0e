// mailtee status: what the running daemon reports on /api/status, fetched
// over the local admin socket (root only; no login needed).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "admin/cli/admin_commands.h"
#include "admin/local_client.h"
#include "config/loader.h"

namespace mailtee::cli {

bool AdminStorageDir(const Args& args, std::string* dir) {
  *dir = FlagValue(args, "--storage");
  if (!dir->empty()) return true;
  const std::string config = FlagValue(args, "--config");
  config::LoadResult loaded = config.empty() ? config::LoadEmbeddedDefault() : config::LoadFile(config);
  if (!loaded.ok()) {
    for (const auto& p : loaded.problems) std::fprintf(stderr, "%s\n", p.ToString().c_str());
    return false;
  }
  *dir = loaded.config.storage_dir;
  return true;
}

namespace {

// GET `path` from the running daemon over the local admin socket. Returns the
// exit code on failure (message printed), or -1 with *out parsed.
int AskDaemon(const Args& args, const char* command, const char* path, nlohmann::json* out) {
  std::string socket = FlagValue(args, "--socket");
  if (socket.empty()) {
    std::string storage;
    if (!AdminStorageDir(args, &storage)) return 2;
    socket = admin::AdminSocketPath(storage);
  }
  admin::LocalResponse response;
  Status s = admin::LocalApiRequest(socket, "GET", path, &response);
  if (!s.ok()) {
    std::fprintf(stderr, "mailtee %s: %s\n", command, s.message().c_str());
    return 1;
  }
  *out = nlohmann::json::parse(response.body, nullptr, false);
  if (response.status != 200 || out->is_discarded()) {
    std::fprintf(stderr, "mailtee %s: the daemon answered %d: %s\n", command, response.status, response.body.c_str());
    return 1;
  }
  return -1;
}

bool WantsJson(const Args& args) {
  for (const auto& a : args) {
    if (a == "--json") return true;
  }
  return false;
}

void PrintJson(const nlohmann::json& j) {
  std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

}  // namespace

int StatusCommand(const Args& args) {
  nlohmann::json status;
  if (int rc = AskDaemon(args, "status", "/api/status", &status); rc >= 0) return rc;
  if (WantsJson(args)) {
    PrintJson(status);
    return 0;
  }
  std::printf("mailtee %s, up %lld s (since %s)\n", status.value("version", "?").c_str(),
              static_cast<long long>(status.value("uptime_seconds", 0LL)), status.value("started_at", "?").c_str());
  for (const auto& l : status["listeners"]) {
    std::printf("  %-20s %-4s %s:%d  sessions %zu%s\n", l.value("name", "").c_str(), l.value("protocol", "").c_str(),
                l.value("address", "").c_str(), l.value("port", 0), l.value("sessions", size_t{0}),
                l.value("has_provider", true) ? "" : "  (no provider)");
  }
  const auto& tls = status["tls"];
  if (tls.contains("not_after")) {
    std::printf("  certificate %s expires %s (%lld days)\n", tls.value("subject", "").c_str(),
                tls.value("not_after", "").c_str(), static_cast<long long>(tls.value("days_left", 0LL)));
  } else if (tls.contains("error")) {
    std::printf("  certificate: %s\n", tls.value("error", "").c_str());
  }
  return 0;
}

int SessionsCommand(const Args& args) {
  nlohmann::json sessions;
  if (int rc = AskDaemon(args, "sessions", "/api/sessions", &sessions); rc >= 0) return rc;
  if (WantsJson(args)) {
    PrintJson(sessions);
    return 0;
  }
  const nlohmann::json& live = sessions["sessions"];
  if (!live.is_array() || live.empty()) {
    std::printf("no client sessions\n");
    return 0;
  }
  std::printf("%-14s %-4s %-39s %-28s %-4s %-20s %-20s %s\n", "LISTENER", "PROT", "CLIENT", "LOGIN", "TLS", "STATE",
              "SINCE", "MSGS");
  for (const auto& l : live) {
    const std::string login = l.value("login", "");
    std::printf("%-14s %-4s %-39s %-28s %-4s %-20s %-20s %d\n", l.value("listener", "").c_str(),
                l.value("protocol", "").c_str(), l.value("client", "").c_str(), login.empty() ? "-" : login.c_str(),
                l.value("tls", false) ? "yes" : "no", l.value("state", "").c_str(), l.value("started_at", "").c_str(),
                l.value("messages", 0));
  }
  std::printf("%zu session(s)\n", live.size());
  return 0;
}

}  // namespace mailtee::cli
