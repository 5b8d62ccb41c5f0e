// mailtee run [--config FILE]: the daemon in the foreground.
//
// Start-up order matters for "nothing is lost": the archive recovers spooled
// messages from a previous crash BEFORE any listener accepts a client.
// SIGTERM/SIGINT drain gracefully (in-flight messages finish); a second signal
// exits at once (spools are recovered on the next start). SIGHUP and POST
// /api/config/reload check the config file, then drain the same way and
// re-execute the binary with the same arguments (restart_in_place.h).
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "admin/cli/commands.h"
#include "admin/cli/restart_in_place.h"
#include "admin/daemon_admin.h"
#include "archive/archive_store.h"
#include "archive/env.h"
#include "archive/index_sink.h"
#include "archive/retention_task.h"
#include "archive/log_book.h"
#include "config/loader.h"
#include "proxy/daemon/approval_runtime.h"
#include "proxy/daemon/daemon.h"
#include "proxy/daemon/full_config.h"
#include "proxy/daemon/privilege_drop.h"
#include "proxy/daemon/process_setup.h"
#include "proxy/daemon/write_paths.h"

namespace mailtee::cli {
namespace {
// Enough for a burst of new messages from every session of a busy office;
// the pool refills in the background once half are taken.
constexpr size_t kPreopenedSpoolFiles = 64;

struct RunState {
  uv_loop_t* loop = nullptr;
  daemon::Daemon* daemon = nullptr;
  admin::DaemonAdmin* console = nullptr;
  archive::LogBook* log = nullptr;
  daemon::ApprovalRuntime* approval = nullptr;   // null without <approval enabled="true">
  uv_signal_t sigterm{}, sigint{}, sighup{};
  uv_timer_t prune_timer{};
  bool stopping = false;
  bool restart = false;     // exec ourselves once everything is torn down
  std::string config_path;  // "" = the embedded default
};

void CloseLoopHandles(RunState* state) {
  uv_close(reinterpret_cast<uv_handle_t*>(&state->sigterm), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&state->sigint), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&state->sighup), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&state->prune_timer), nullptr);
}

void DrainAndStop(RunState* state);

void OnSignal(uv_signal_t* handle, int signum) {
  auto* state = static_cast<RunState*>(handle->data);
  if (state->stopping) {
    state->log->Write(archive::LogKind::kSystem, "second signal: exiting now; spools are recovered at next start");
    std::_Exit(1);
  }
  state->log->Write(archive::LogKind::kSystem,
                    std::string("received ") + (signum == SIGTERM ? "SIGTERM" : "SIGINT") +
                        ": draining sessions (send again to exit at once)");
  DrainAndStop(state);
}

// POST /api/config/reload and SIGHUP. The file is checked first: draining
// and then failing to start on a broken config would be an outage.
void BeginRestart(RunState* state) {
  if (state->stopping) return;
  config::LoadResult check = daemon::LoadFullConfig(state->config_path).loaded;  // what the restart loads
  if (!check.ok()) {
    for (const config::Problem& p : check.problems) {
      if (!p.warning) state->log->Write(archive::LogKind::kSystem, "reload refused: " + p.ToString());
    }
    return;
  }
  state->log->Write(archive::LogKind::kSystem, "reload: draining sessions, then restarting with " +
                                                   (state->config_path.empty() ? "the embedded default" : state->config_path));
  state->restart = true;
  DrainAndStop(state);
}

void OnSighup(uv_signal_t* handle, int) { BeginRestart(static_cast<RunState*>(handle->data)); }

void DrainAndStop(RunState* state) {
  state->stopping = true;
  if (state->console) state->console->Stop(nullptr);
  // No more sweeps; relays already in flight finish (they keep the loop alive).
  if (state->approval) state->approval->Stop();
  state->daemon->Stop([state] {
    state->log->Write(archive::LogKind::kSystem, "all sessions finished; stopped");
    CloseLoopHandles(state);
  });
}

void OnPruneTimer(uv_timer_t* handle) {
  auto* state = static_cast<RunState*>(handle->data);
  state->log->Prune();
  if (state->approval) state->approval->PruneLog();
}

// Under systemd (it sets JOURNAL_STREAM / INVOCATION_ID) stderr goes to the
// journal, which keeps its own copy of every line — subjects and POP3
// commands — outside <logs retention-days>. There, stderr gets only start-up
// and fatal lines unless `mailtee run --log-stderr` asks for all of them; in a
// terminal every line is shown as before.
bool MirrorEveryLogLine(const Args& args) {
  for (const std::string& a : args) {
    if (a == "--log-stderr") return true;
  }
  return std::getenv("JOURNAL_STREAM") == nullptr && std::getenv("INVOCATION_ID") == nullptr;
}

// A start-up or fatal line: in the log book, and on stderr even when the log
// book does not mirror every line there.
void Announce(archive::LogBook& log, bool mirrored, const std::string& line) {
  log.Write(archive::LogKind::kSystem, line);
  if (!mirrored) std::fprintf(stderr, "mailtee: %s\n", line.c_str());
}

int PrintProblems(const config::LoadResult& result) {
  int errors = 0;
  for (const config::Problem& p : result.problems) {
    std::fprintf(stderr, "%s\n", p.ToString().c_str());
    if (!p.warning) ++errors;
  }
  return errors;
}

// Root by hand: give the storage to the daemon user and become it (keeping
// only CAP_NET_BIND_SERVICE), then read the config again as that user — as
// every reload will — so a file it cannot read fails now, not at the next
// reload. Under systemd (User=mailtee) the process is not root and this is skipped.
bool BecomeDaemonUser(const std::string& path, daemon::FullConfig* full) {
  const config::Config& config = full->loaded.config;
  daemon::DaemonAccount account;
  Status s = daemon::LookUpDaemonAccount(config.daemon.user, config.daemon.group, &account);
  if (s.ok()) s = daemon::GiveStorageTo(config.storage_dir, account);
  if (s.ok()) s = daemon::DropPrivileges(account);
  if (!s.ok()) {
    std::fprintf(stderr, "mailtee: not starting as root: %s\n", s.ToString().c_str());
    return false;
  }
  if (access(config.storage_dir.c_str(), R_OK | W_OK | X_OK) != 0) {
    std::fprintf(stderr, "mailtee: not starting: storage dir %s is not reachable by user %s (%s) — a parent "
                         "folder is closed to it; use a storage dir it can reach, e.g. <storage dir=\"/var/lib/mailtee\"/>\n",
                 config.storage_dir.c_str(), account.user.c_str(), std::strerror(errno));
    return false;
  }
  *full = daemon::LoadFullConfig(path);
  // The first check ran as root, who may write almost anywhere: ask again as
  // the user that will write (a secret-file in a folder only root may write).
  if (full->ok()) daemon::CheckWritePaths(*full, path, /*as=*/nullptr, &full->loaded.problems);
  int errors = 0;  // the warnings were printed by the first load
  for (const config::Problem& p : full->loaded.problems) {
    if (p.warning) continue;
    std::fprintf(stderr, "%s\n", p.ToString().c_str());
    ++errors;
  }
  if (errors > 0) {
    std::fprintf(stderr, "mailtee: not starting: the config as read by user %s has errors — files it names "
                         "(and the config itself) must be readable by that user, e.g. chown %s FILE; chmod 600 FILE\n",
                 account.user.c_str(), account.user.c_str());
    return false;
  }
  return true;
}

}  // namespace

static int RunDaemonOnce(const Args& args, bool* restart) {
  const std::string path = FlagValue(args, "--config");
  daemon::FullConfig full = daemon::LoadFullConfig(path);  // config + <approval>
  // Before anything is opened: a folder it may not write is one clear error,
  // not a failure at start that systemd restarts every few seconds.
  if (full.ok() && !path.empty()) daemon::CheckWritePaths(full, path, /*as=*/nullptr, &full.loaded.problems);
  config::LoadResult& loaded = full.loaded;
  if (PrintProblems(loaded) > 0) {
    std::fprintf(stderr, "mailtee: not starting: fix the errors above (check with: mailtee check-config %s)\n",
                 path.empty() ? "FILE" : path.c_str());
    return 1;
  }
  daemon::PrepareDaemonProcess();
  const bool dropped_root = ::geteuid() == 0;
  if (dropped_root && !BecomeDaemonUser(path, &full)) return 1;
  config::Config config = std::move(full.loaded.config);
  if (path.empty()) {
    std::fprintf(stderr, "mailtee: no --config given: running the embedded default config "
                         "(loopback listeners, storage in %s)\n", config.storage_dir.c_str());
  }

  if (mkdir(config.storage_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    std::fprintf(stderr, "mailtee: cannot create storage dir %s: %s — create it or set <storage dir=...>\n",
                 config.storage_dir.c_str(), std::strerror(errno));
    return 1;
  }

  const bool mirror = MirrorEveryLogLine(args);
  archive::LogBook log(config.storage_dir + "/logs", config.logs.retention_days, /*echo_to_stderr=*/mirror);
  Status s = log.Open();
  if (!s.ok()) {
    std::fprintf(stderr, "mailtee: %s\n", s.ToString().c_str());
    return 1;
  }
  log.Prune();
  Announce(log, mirror, "running as " + daemon::DescribeIdentity() +
                            (dropped_root ? " (started as root; keeps only CAP_NET_BIND_SERVICE)" : ""));

  // Declared first so it outlives the store, which holds a pointer to it.
  std::unique_ptr<archive::IndexingSink> index;
  std::unique_ptr<archive::ArchiveStore> store;
  s = archive::ArchiveStore::Open(config.storage_dir, archive::Env::Default(), &log, &store);
  if (!s.ok()) {
    Announce(log, mirror, "cannot open the archive: " + s.ToString());
    return 1;
  }
  // The search index and ledger follow every commit. The files stay the truth:
  // if the index cannot open, mail still flows and `mailtee archive reindex`
  // rebuilds it later.
  s = archive::IndexingSink::Open(config.storage_dir, &index);
  if (s.ok()) {
    store->SetIndexingSink(index.get());
  } else {
    log.Write(archive::LogKind::kSystem, "WARNING: archive index unavailable (" + s.ToString() +
                                             "); messages are archived but not indexed — run "
                                             "'mailtee archive reindex' once the cause is fixed");
  }
  archive::RecoveryStats recovered;
  s = store->Recover(&recovered);
  if (!s.ok()) {
    Announce(log, mirror, "archive recovery failed: " + s.ToString() +
                                             " — the spool is kept; fix the cause and restart");
    return 1;
  }
  // Spool files created ahead of need, so a message's Begin on the event loop
  // never waits on the spool folder (archive/spool_slots.h). After Recover(),
  // which removes the pairs an earlier run left unused.
  store->PreopenSpoolFiles(kPreopenedSpoolFiles);
  // The index may be behind the ledger after a crash between the two writes:
  // replay what it missed before any new mail arrives.
  std::unique_ptr<archive::RetentionTask> retention;
  if (index) {
    archive::IndexingSink::CatchUpStats caught_up;
    s = index->CatchUp(&caught_up);
    if (!s.ok()) {
      log.Write(archive::LogKind::kSystem, "WARNING: index catch-up failed (" + s.ToString() +
                                               "); run 'mailtee archive reindex' with the daemon stopped");
    } else if (caught_up.replayed > 0) {
      log.Write(archive::LogKind::kSystem,
                "index caught up with the ledger: " + std::to_string(caught_up.replayed) + " entries replayed");
    }
    for (const std::string& w : caught_up.warnings) log.Write(archive::LogKind::kSystem, "WARNING: " + w);
    // <retention>: purges run on their own thread, once a day.
    retention = std::make_unique<archive::RetentionTask>(index.get(), archive::PolicyFromConfig(config.retention), &log);
    retention->StartDaily();
  }

  uv_loop_t* loop = uv_default_loop();
  // The approval hold: created before the Daemon so that it outlives every
  // SMTP session; started (unfinished holds resume) before any listener opens.
  std::unique_ptr<daemon::ApprovalRuntime> approval;
  if (full.approval.enabled) {
    daemon::ApprovalRuntimeOptions options;
    options.loop = loop;
    options.config = &config;
    options.approval = full.approval;
    options.index = index.get();
    options.log = &log;
    s = daemon::ApprovalRuntime::Create(std::move(options), &approval);
    if (!s.ok()) {
      Announce(log, mirror, "cannot start: " + s.ToString());
      return 1;
    }
    approval->Start();
    log.Write(archive::LogKind::kSystem, "approval: on (" + std::to_string(full.approval.rules.size()) +
                                             " rule(s), commands to " + full.approval.address + ")");
  }
  daemon::Daemon daemon(loop, config, store.get(), &log);
  daemon.set_hold_gate(approval ? approval->service() : nullptr);
  s = daemon.Start();
  if (!s.ok()) {
    Announce(log, mirror, "cannot start: " + s.ToString());
    if (approval) approval->Stop();  // else its sweep timer keeps the loop running
    daemon.Stop(nullptr);
    uv_run(loop, UV_RUN_DEFAULT);
    return 1;
  }
  for (const std::string& advice : daemon.advice()) log.Write(archive::LogKind::kSystem, "NOTE: " + advice);
  std::string ready = "ready:";
  for (const daemon::ListenerInfo& l : daemon.listeners()) {
    ready += " " + l.name + "=" + l.address + ":" + std::to_string(l.port);
  }
  Announce(log, mirror, ready);

  // The admin console (HTTPS, when <admin> is configured) and the root-only
  // local socket the CLI uses. Mail keeps flowing if it cannot start.
  admin::AdminSettings admin_settings;
  admin_settings.https_enabled = config.admin.has_value() && config.admin->enabled;
  if (config.admin) {
    admin_settings.address = config.admin->address;
    admin_settings.port = config.admin->port;
    admin_settings.users_file = config.admin->users_file;
    admin_settings.public_url = config.admin->public_url;
  }
  admin_settings.approval_public_url = full.approval.public_url;
  RunState state;
  state.config_path = path;
  std::unique_ptr<admin::DaemonAdmin> console;
  s = admin::DaemonAdmin::Start(loop, config, &daemon, index.get(), &log, MAILTEE_VERSION, admin_settings,
                                &console, [&state] { BeginRestart(&state); });
  if (!s.ok()) {
    Announce(log, mirror, "WARNING: admin console not started: " + s.ToString());
  }
  if (console && approval) console->AttachApprovals(approval->service(), approval->approval_log());

  state.loop = loop;
  state.daemon = &daemon;
  state.console = console.get();
  state.log = &log;
  state.approval = approval.get();
  uv_signal_init(loop, &state.sigterm);
  uv_signal_init(loop, &state.sigint);
  state.sigterm.data = state.sigint.data = &state;
  uv_signal_start(&state.sigterm, OnSignal, SIGTERM);
  uv_signal_start(&state.sigint, OnSignal, SIGINT);
  uv_signal_init(loop, &state.sighup);
  state.sighup.data = &state;
  uv_signal_start(&state.sighup, OnSighup, SIGHUP);
  uv_timer_init(loop, &state.prune_timer);
  state.prune_timer.data = &state;
  uv_timer_start(&state.prune_timer, OnPruneTimer, 3600 * 1000, 3600 * 1000);  // hourly check, daily files

  uv_run(loop, UV_RUN_DEFAULT);
  uv_loop_close(loop);
  *restart = state.restart;
  return 0;
}

// The daemon's objects are gone when RunDaemonOnce returns (sockets closed,
// the index unlocked): only then may the new image start.
int RunDaemon(const Args& args) {
  NameProcess();
  bool restart = false;
  int rc = RunDaemonOnce(args, &restart);
  if (!restart) return rc;
  std::string error = ExecSelf();
  std::fprintf(stderr, "mailtee: restart failed: %s; start it again by hand\n", error.c_str());
  return 1;
}

}  // namespace mailtee::cli
