// The end of an approval hold, written into the held message's report
// (docs/approval.md, docs/report-format.md). The message was archived with
// outcome "held" when the client was told "250 held for approval"; once the
// hold ends its report says what happened (relayed / rejected / expired /
// withdrawn) and carries the approval trail. The rewrite is atomic (temp,
// fsync, rename, directory fsync) and the ledger and search index follow
// (IndexingSink records an "update", so verify keeps matching).
#pragma once

#include <string>

#include "archive/env.h"
#include "archive/report.h"
#include "config/status.h"

namespace mailtee::archive {

class IndexingSink;

struct HeldOutcome {
  std::string outcome;       // "relayed" | "rejected" | "expired" | "withdrawn"
  int code = 0;              // the provider's reply code when relayed
  std::string reply;         // the provider's reply (relayed) or the reason (rejected); verbatim
  std::string relayed_at;    // ISO 8601; only when relayed
  ApprovalTrail trail;
  // Start-up repair (a crash between the hold's end and the rewrite): leave a
  // report alone unless it still says "held".
  bool only_if_still_held = false;
};

// "archive/<user folder>/<local day of the id>/<id>.xml" (relative to the
// storage dir) when that file exists; else any user's folder of that day is
// searched (a hold's user and the archive user are the same key, but a report
// is worth finding even if they ever differ). NotFound-style error otherwise.
Status FindReportOfId(Env* env, const std::string& storage_dir, const std::string& user, const std::string& id,
                      std::string* rel_report);

// Rewrites the report of message `id`: outcome, code, reply, relayed-at and
// the trail; everything else is kept. Idempotent (a repeat with the same
// outcome writes the same bytes, and the sink ignores unchanged files).
// sink may be null (index unavailable). Call on a worker thread: it fsyncs.
Status RewriteHeldOutcome(Env* env, const std::string& storage_dir, const std::string& user, const std::string& id,
                          const HeldOutcome& outcome, IndexingSink* sink);

}  // namespace mailtee::archive
