// mailtee archive <subcommand>: the archive index, verify, reindex, stats,
// export and purge from the command line. Text by default, --json for tools.
// The storage dir comes from --config FILE (config::LoadFile) or --storage DIR.
#include "admin/cli/archive_command.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "admin/cli/act_as_storage_owner.h"
#include "admin/cli/archive_command_access.h"
#include "admin/local_client.h"
#include "archive/export.h"
#include "archive/index_record.h"
#include "archive/index_keys.h"
#include "archive/index_sink.h"
#include "archive/index_stats.h"
#include "archive/reindex.h"
#include "archive/retention.h"
#include "archive/retention_task.h"
#include "archive/verify.h"
#include "config/loader.h"

namespace mailtee::cli {
namespace {

using archive::ArchiveIndex;
using archive::IndexRecord;
using nlohmann::json;

const char* kUsage =
    "usage: mailtee archive <command> (--config FILE | --storage DIR) [--json]\n"
    "  search [--user U] [--from ADDR|DOMAIN] [--to ADDR|DOMAIN] [--subject WORDS] [--since ISO] [--until ISO]\n"
    "         [--direction sent|received] [--attachment yes|no] [--sha256 HEX] [--message-id ID]\n"
    "         [--limit N] [--cursor C]            newest first; prints the cursor of the next page\n"
    "  show ID                                    one message's index record and file paths\n"
    "  verify                                     check every file against reports, ledger and index\n"
    "  reindex                                    rebuild index/search from the report files\n"
    "  stats                                      messages, bytes, first/last per user\n"
    "  export --format mbox|zip --output FILE [search filters]\n"
    "  purge [--dry-run] [--days N] [--user-days USER=N]... [--legal-hold USER]...\n"
    "                                             by <retention>/<legal-hold> of --config; flags override\n"
    "While 'mailtee run' runs, search/show/stats/verify/export ask it over <storage>/admin.sock (as root);\n"
    "reindex and purge need it stopped.\n";

bool HasFlag(const Args& args, const std::string& flag) {
  for (const auto& a : args)
    if (a == flag) return true;
  return false;
}

std::vector<std::string> FlagValues(const Args& args, const std::string& flag) {
  std::vector<std::string> out;
  for (size_t i = 0; i + 1 < args.size(); ++i)
    if (args[i] == flag) out.push_back(args[i + 1]);
  return out;
}

int Fail(const Status& s) {
  if (ArchiveIndex::IsLockError(s)) {
    std::fprintf(stderr,
                 "mailtee archive: the daemon holds the index: stop it first (systemctl stop mailtee)\n"
                 "  (%s)\n", s.message().c_str());
  } else {
    std::fprintf(stderr, "mailtee archive: %s\n", s.message().c_str());
  }
  return 1;
}

// The storage dir from --storage, else from --config (whose <retention> the
// purge command also reads: *retention is left empty with --storage).
bool StorageDir(const Args& args, std::string* dir, config::RetentionSettings* retention) {
  *dir = FlagValue(args, "--storage");
  if (!dir->empty()) return true;
  std::string config = FlagValue(args, "--config");
  if (config.empty()) {
    std::fputs("mailtee archive: --config FILE or --storage DIR is required\n", stderr);
    return false;
  }
  config::LoadResult loaded = config::LoadFile(config);
  if (!loaded.ok()) {
    for (const auto& p : loaded.problems) std::fprintf(stderr, "%s\n", p.ToString().c_str());
    return false;
  }
  *dir = loaded.config.storage_dir;
  *retention = loaded.config.retention;
  return true;
}

bool ParseTimeFlag(const Args& args, const std::string& flag, std::optional<int64_t>* out) {
  std::string v = FlagValue(args, flag);
  if (v.empty()) return true;
  if (v.size() == 10) v += "T00:00:00Z";  // a bare date: midnight UTC
  int64_t ms;
  if (!archive::ParseIsoTimeMs(v, &ms)) {
    std::fprintf(stderr, "mailtee archive: %s wants an ISO 8601 time like 2026-11-24 or 2026-11-24T09:00:00+09:00\n",
                 flag.c_str());
    return false;
  }
  *out = ms;
  return true;
}

bool ParseQuery(const Args& args, archive::Query* q) {
  q->user = FlagValue(args, "--user");
  q->from = FlagValue(args, "--from");
  q->to = FlagValue(args, "--to");
  q->subject = FlagValue(args, "--subject");
  q->sha256_hex = FlagValue(args, "--sha256");
  q->message_id = FlagValue(args, "--message-id");
  q->direction = FlagValue(args, "--direction");
  q->cursor = FlagValue(args, "--cursor");
  std::string att = FlagValue(args, "--attachment");
  if (!att.empty()) q->has_attachment = att == "yes" || att == "true" || att == "1";
  std::string limit = FlagValue(args, "--limit");
  if (!limit.empty()) q->limit = static_cast<size_t>(std::max(1L, std::atol(limit.c_str())));
  return ParseTimeFlag(args, "--since", &q->since_ms) && ParseTimeFlag(args, "--until", &q->until_ms);
}

json RecordJson(const IndexRecord& r) {
  return json{{"id", r.id}, {"user", r.user}, {"direction", r.direction}, {"protocol", r.protocol},
              {"received_at", r.received_at}, {"envelope_from", r.envelope_from}, {"envelope_to", r.envelope_to},
              {"from", r.from}, {"to", r.to}, {"cc", r.cc}, {"subject", r.subject}, {"message_id", r.message_id},
              {"size", r.size}, {"sha256", r.sha256_hex}, {"attachments", r.attachment_count},
              {"outcome", r.outcome}, {"eml_path", r.eml_path}, {"report_path", r.report_path}};
}

std::string First(const std::vector<std::string>& v) { return v.empty() ? "" : v[0]; }

int Search(const std::string& storage, const Args& args, bool as_json) {
  archive::Query q;
  if (!ParseQuery(args, &q)) return 2;
  std::unique_ptr<ArchiveAccess> archive;
  Status s = OpenArchiveAccess(storage, &archive);
  archive::ResultPage page;
  if (s.ok()) s = archive->Search(q, &page);
  if (!s.ok()) return Fail(s);
  if (as_json) {
    json out{{"messages", json::array()}, {"next_cursor", page.next_cursor}};
    for (const auto& r : page.records) out["messages"].push_back(RecordJson(r));
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  for (const auto& r : page.records)
    std::printf("%s  %s  %-8s %-30s %s\n      %s\n", r.received_at.c_str(), r.id.c_str(), r.direction.c_str(),
                (r.direction == "sent" ? "to " + First(r.envelope_to.empty() ? r.to : r.envelope_to)
                                       : "from " + First(r.from)).c_str(),
                r.user.c_str(), r.subject.c_str());
  if (!page.next_cursor.empty()) std::printf("-- more: --cursor %s\n", page.next_cursor.c_str());
  return 0;
}

int Show(const std::string& storage, const Args& args, bool as_json) {
  if (args.empty() || args[0].rfind("--", 0) == 0) {
    std::fputs("usage: mailtee archive show ID --config FILE\n", stderr);
    return 2;
  }
  std::unique_ptr<ArchiveAccess> archive;
  Status s = OpenArchiveAccess(storage, &archive);
  IndexRecord r;
  bool found = false;
  if (s.ok()) s = archive->Get(args[0], &r, &found);
  if (!s.ok()) return Fail(s);
  if (!found) {
    std::fprintf(stderr, "mailtee archive: no message %s in the index\n", args[0].c_str());
    return 1;
  }
  std::printf("%s\n", RecordJson(r).dump(2).c_str());  // one shape for humans and tools
  return 0;
}

int Verify(const std::string& storage, bool as_json) {
  std::unique_ptr<ArchiveAccess> archive;
  Status s = OpenArchiveAccess(storage, &archive);
  if (!s.ok()) std::fprintf(stderr, "note: index checks skipped: %s\n", s.message().c_str());
  else if (archive->via_daemon()) std::fputs("verify: the daemon is running; it verifies (no progress shown)\n", stderr);
  archive::VerifyOptions options;
  options.progress = [](const archive::VerifyProgress& p) {
    double mb = p.bytes / 1e6;
    std::fprintf(stderr, "verify: %llu files, %.1f MB, %.1f MB/s\n", static_cast<unsigned long long>(p.files), mb,
                 p.seconds > 0 ? mb / p.seconds : 0.0);
  };
  archive::VerifyResult result;
  s = archive ? archive->Verify(options, &result) : archive::VerifyArchive(storage, options, &result);
  if (!s.ok()) return Fail(s);
  if (as_json) {
    std::printf("%s\n", json{{"ok", result.ok()}, {"messages", result.messages}, {"files", result.files},
                             {"bytes", result.bytes}, {"ledger_entries", result.ledger_entries},
                             {"problems", result.problems}}.dump(2).c_str());
  } else {
    for (const auto& p : result.problems) std::printf("%s\n", p.c_str());
    std::printf("%s: %llu messages, %llu files, %llu ledger entries, %zu problem(s)\n",
                result.ok() ? "OK" : "FAILED", static_cast<unsigned long long>(result.messages),
                static_cast<unsigned long long>(result.files), static_cast<unsigned long long>(result.ledger_entries),
                result.problems.size());
  }
  return result.ok() ? 0 : 1;
}

int Reindex(const std::string& storage, bool as_json) {
  if (access(admin::AdminSocketPath(storage).c_str(), F_OK) == 0) {
    admin::LocalResponse probe;
    if (admin::LocalApiRequest(admin::AdminSocketPath(storage), "GET", "/api/session", &probe, 3000).ok()) {
      std::fputs("mailtee archive: reindex needs the daemon stopped (it writes the index with every message).\n"
                 "  systemctl stop mailtee; mailtee archive reindex ...; systemctl start mailtee\n", stderr);
      return 1;
    }
  }
  archive::ReindexStats stats;
  Status s = archive::Reindex(storage, [](const archive::ReindexProgress& p) {
    std::fprintf(stderr, "reindex: %llu messages, %.1f s\n", static_cast<unsigned long long>(p.messages), p.seconds);
  }, &stats);
  if (!s.ok()) return Fail(s);
  for (const auto& k : stats.skipped) std::fprintf(stderr, "skipped %s\n", k.c_str());
  if (as_json)
    std::printf("%s\n", json{{"messages", stats.messages}, {"seconds", stats.seconds}, {"skipped", stats.skipped}}.dump(2).c_str());
  else
    std::printf("reindexed %llu messages in %.1f s\n", static_cast<unsigned long long>(stats.messages), stats.seconds);
  return stats.skipped.empty() ? 0 : 1;
}

int Stats(const std::string& storage, bool as_json) {
  std::unique_ptr<ArchiveAccess> archive;
  Status s = OpenArchiveAccess(storage, &archive);
  std::vector<archive::UserStats> stats;
  if (s.ok()) s = archive->Stats(&stats);
  if (!s.ok()) return Fail(s);
  json out = json::array();
  for (const auto& u : stats) {
    if (as_json) {
      out.push_back({{"user", u.user}, {"messages", u.messages}, {"bytes", u.bytes}, {"sent", u.sent},
                     {"received", u.received}, {"first", archive::FormatUtcTime(u.first_ms)},
                     {"last", archive::FormatUtcTime(u.last_ms)}});
    } else {
      std::printf("%-30s %8llu msgs %12llu bytes  %s .. %s\n", u.user.c_str(),
                  static_cast<unsigned long long>(u.messages), static_cast<unsigned long long>(u.bytes),
                  archive::FormatUtcTime(u.first_ms).c_str(), archive::FormatUtcTime(u.last_ms).c_str());
    }
  }
  if (as_json) std::printf("%s\n", out.dump(2).c_str());
  return 0;
}

int Export(const std::string& storage, const Args& args) {
  const std::string format = FlagValue(args, "--format"), output = FlagValue(args, "--output");
  if ((format != "mbox" && format != "zip") || output.empty()) {
    std::fputs("usage: mailtee archive export --format mbox|zip --output FILE [search filters]\n", stderr);
    return 2;
  }
  archive::Query q;
  if (!ParseQuery(args, &q)) return 2;
  // The output is the operator's file (created as the caller, root or not);
  // the storage is then read as its owner (see ArchiveCommand).
  FILE* f = output == "-" ? stdout : std::fopen(output.c_str(), "wb");
  if (!f) return Fail(Status::PosixError("create " + output, errno));
  std::unique_ptr<ArchiveAccess> archive;
  Status s = ActAsOwnerOf(storage);
  if (s.ok()) s = OpenArchiveAccess(storage, &archive);
  if (!s.ok()) {
    if (f != stdout) {
      std::fclose(f);
      std::remove(output.c_str());
    }
    return Fail(s);
  }
  archive::ExportStats stats;
  s = archive::ExportSelection([&](const archive::Query& query, archive::ResultPage* page) {
                                 return archive->Search(query, page);
                               }, storage, q,
                               format == "zip" ? archive::ExportFormat::kZip : archive::ExportFormat::kMbox,
                               [&](std::string_view d) {
                                 return std::fwrite(d.data(), 1, d.size(), f) == d.size()
                                            ? Status::Ok() : Status::PosixError("write " + output, errno);
                               }, &stats);
  if (s.ok() && (std::fflush(f) != 0 || fsync(fileno(f)) != 0) && output != "-")
    s = Status::PosixError("flush " + output, errno);
  if (f != stdout) std::fclose(f);
  if (!s.ok()) return Fail(s);
  for (const auto& k : stats.skipped) std::fprintf(stderr, "note: %s\n", k.c_str());
  std::fprintf(stderr, "exported %llu messages, %llu bytes to %s\n", static_cast<unsigned long long>(stats.messages),
               static_cast<unsigned long long>(stats.bytes), output.c_str());
  return 0;
}

// The policy: <retention>/<legal-hold> from --config, then the flags on top
// (--days replaces the default, --user-days one user's period, --legal-hold
// adds a hold; a configured hold cannot be lifted from the command line).
int Purge(const std::string& storage, const config::RetentionSettings& configured, const Args& args, bool as_json) {
  archive::RetentionPolicy policy = archive::PolicyFromConfig(configured);
  const std::string days = FlagValue(args, "--days");
  if (!days.empty()) policy.default_days = std::atoi(days.c_str());
  for (const auto& u : FlagValues(args, "--legal-hold")) policy.legal_hold_users.insert(archive::index_keys::Lower(u));
  for (const auto& ud : FlagValues(args, "--user-days")) {
    size_t eq = ud.rfind('=');
    if (eq == std::string::npos) {
      std::fputs("mailtee archive: --user-days wants USER=DAYS\n", stderr);
      return 2;
    }
    policy.user_days[archive::index_keys::Lower(ud.substr(0, eq))] = std::atoi(ud.c_str() + eq + 1);
  }
  if (policy.default_days <= 0 && policy.user_days.empty()) {
    std::fputs("mailtee archive: nothing to purge by: configure <retention days=\"N\"/> (with --config) "
               "or pass --days N / --user-days USER=N\n", stderr);
    return 2;
  }
  const bool dry_run = HasFlag(args, "--dry-run");
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  std::unique_ptr<archive::IndexingSink> sink;
  Status s = archive::IndexingSink::Open(storage, &sink);
  if (!s.ok() && ArchiveIndex::IsLockError(s)) {
    std::fputs("mailtee archive: the daemon is running; it purges daily by <retention> in its config. "
               "To purge by hand, stop it first (systemctl stop mailtee).\n", stderr);
    return 1;
  }
  archive::PurgeRun run;
  if (s.ok()) s = archive::RunRetention(sink.get(), policy, now, dry_run, &run);
  if (!s.ok()) return Fail(s);
  json out = json::array();
  for (const auto& r : run.due) {
    if (as_json) out.push_back({{"id", r.id}, {"user", r.user}, {"received_at", r.received_at}});
    else std::printf("%s %s %s %s\n", dry_run ? "would purge" : "purged", r.id.c_str(), r.user.c_str(), r.received_at.c_str());
  }
  for (const auto& e : run.errors) std::fprintf(stderr, "error: %s\n", e.c_str());
  if (as_json) {
    std::printf("%s\n", json{{"dry_run", dry_run}, {"messages", out}, {"purged", run.purged},
                             {"errors", run.errors}}.dump(2).c_str());
  } else if (dry_run) {
    std::printf("%zu message(s) due (dry run, nothing deleted)\n", run.due.size());
  } else {
    std::printf("%llu of %zu due message(s) purged\n", static_cast<unsigned long long>(run.purged), run.due.size());
  }
  return run.errors.empty() ? 0 : 1;
}

}  // namespace

int ArchiveCommand(const Args& all) {
  if (all.empty() || all[0] == "help" || all[0] == "--help") {
    std::fputs(kUsage, all.empty() ? stderr : stdout);
    return all.empty() ? 2 : 0;
  }
  const std::string sub = all[0];
  const Args args(all.begin() + 1, all.end());
  std::string storage;
  config::RetentionSettings retention;
  if (!StorageDir(args, &storage, &retention)) return 2;
  const bool as_json = HasFlag(args, "--json");
  // Even reading opens LevelDB, which creates LOCK and LOG files: run as root,
  // every subcommand acts as the storage's owner (the daemon user), or the
  // daemon could no longer open what root left behind. Export first opens its
  // output file as the caller.
  if (sub != "export") {
    if (Status s = ActAsOwnerOf(storage); !s.ok()) {
      std::fprintf(stderr, "mailtee archive: %s\n", s.message().c_str());
      return 1;
    }
  }
  if (sub == "search") return Search(storage, args, as_json);
  if (sub == "show") return Show(storage, args, as_json);
  if (sub == "verify") return Verify(storage, as_json);
  if (sub == "reindex") return Reindex(storage, as_json);
  if (sub == "stats") return Stats(storage, as_json);
  if (sub == "export") return Export(storage, args);
  if (sub == "purge") return Purge(storage, retention, args, as_json);
  std::fprintf(stderr, "mailtee archive: unknown command '%s'\n%s", sub.c_str(), kUsage);
  return 2;
}

}  // namespace mailtee::cli
