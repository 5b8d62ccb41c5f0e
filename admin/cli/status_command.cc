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

int StatusCommand(const Args& args) {
  std::string socket = FlagValue(args, "--socket");
  if (socket.empty()) {
    std::string storage;
    if (!AdminStorageDir(args, &storage)) return 2;
    socket = admin::AdminSocketPath(storage);
  }
  admin::LocalResponse response;
  Status s = admin::LocalApiRequest(socket, "GET", "/api/status", &response);
  if (!s.ok()) {
    std::fprintf(stderr, "mailtee status: %s\n", s.message().c_str());
    return 1;
  }
  nlohmann::json status = nlohmann::json::parse(response.body, nullptr, false);
  if (response.status != 200 || status.is_discarded()) {
    std::fprintf(stderr, "mailtee status: the daemon answered %d: %s\n", response.status, response.body.c_str());
    return 1;
  }
  bool as_json = false;
  for (const auto& a : args) as_json = as_json || a == "--json";
  if (as_json) {
    std::printf("%s\n", status.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
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

}  // namespace mailtee::cli
