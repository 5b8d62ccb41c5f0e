#include "archive/report_outcome.h"

#include <time.h>

#include <chrono>
#include <cstdio>

#include "archive/archive_id.h"
#include "archive/index_sink.h"
#include "archive/local_time.h"
#include "archive/user_folder.h"

namespace mailtee::archive {
namespace {

constexpr int kReportPerms = 0600;
constexpr size_t kMaxReportBytes = 64 << 20;  // as archive_store.cc

// The day folder ("2026/11/24") of an id "20261124T162024Z-...": the store
// names both from the same receipt time, so they always agree.
bool DayPathOfId(const std::string& id, std::string* day) {
  if (!LooksLikeArchiveId(id)) return false;
  struct tm utc {};
  if (std::sscanf(id.c_str(), "%4d%2d%2dT%2d%2d%2dZ", &utc.tm_year, &utc.tm_mon, &utc.tm_mday, &utc.tm_hour,
                  &utc.tm_min, &utc.tm_sec) != 6)
    return false;
  utc.tm_year -= 1900;
  utc.tm_mon -= 1;
  *day = LocalDayPath(std::chrono::system_clock::from_time_t(timegm(&utc)));
  return true;
}

}  // namespace

Status FindReportOfId(Env* env, const std::string& storage_dir, const std::string& user, const std::string& id,
                      std::string* rel_report) {
  std::string day;
  if (!DayPathOfId(id, &day)) return Status::Error("'" + id + "' is not an archive id");
  const std::string name = "/" + day + "/" + id + ".xml";
  std::string rel = "archive/" + UserFolderName(user) + name;
  if (FileExists(env, storage_dir + "/" + rel)) {
    *rel_report = rel;
    return Status::Ok();
  }
  std::vector<std::string> users;
  Status s = env->ListDir(storage_dir + "/archive", &users);
  if (!s.ok()) return s.WithContext("while looking for the report of message " + id);
  for (const std::string& u : users) {
    rel = "archive/" + u + name;
    if (FileExists(env, storage_dir + "/" + rel)) {
      *rel_report = rel;
      return Status::Ok();
    }
  }
  return Status::Error("no report of message " + id + " under " + storage_dir + "/archive/*" + name);
}

Status RewriteHeldOutcome(Env* env, const std::string& storage_dir, const std::string& user, const std::string& id,
                          const HeldOutcome& outcome, IndexingSink* sink) {
  const std::string context = "while recording outcome '" + outcome.outcome + "' of held message " + id;
  std::string rel_report;
  Status s = FindReportOfId(env, storage_dir, user, id, &rel_report);
  if (!s.ok()) return s.WithContext(context);
  const std::string path = storage_dir + "/" + rel_report;
  std::string xml;
  Report report;
  s = ReadWholeFile(env, path, kMaxReportBytes, &xml);
  if (s.ok()) s = ParseReportXml(xml, &report);
  if (!s.ok()) return s.WithContext(context);
  if (outcome.only_if_still_held && report.outcome != "held") return Status::Ok();

  report.outcome = outcome.outcome;
  report.outcome_code = outcome.code;
  report.outcome_reply = outcome.reply;
  report.relayed_at = outcome.relayed_at;
  report.approval = outcome.trail;
  const std::string rendered = RenderReportXml(report);
  if (rendered != xml) {
    // The temp lives in the spool folder (same file system), where recovery
    // removes it if a crash leaves it behind.
    s = WriteFileAtomically(env, path, rendered, storage_dir + "/spool/" + id + ".outcome.tmp", kReportPerms);
    if (!s.ok()) return s.WithContext(context);
  }
  // Also when the file already said so: a crash may have come between the
  // rename and the index (a repeated notice is a no-op).
  if (sink != nullptr) {
    const std::string rel_eml = rel_report.substr(0, rel_report.size() - 4) + ".eml";
    const bool has_eml = FileExists(env, storage_dir + "/" + rel_eml);
    s = sink->IndexCommitted(report, has_eml ? rel_eml : "", rel_report);
    if (!s.ok()) return s.WithContext(context + " (the report is updated; run 'mailtee archive reindex')");
  }
  return Status::Ok();
}

}  // namespace mailtee::archive
