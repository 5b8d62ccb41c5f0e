// Whole-archive jobs for `mailtee archive stats|verify` while the daemon runs
// (it holds the index's LevelDB lock). Each runs on a libuv worker thread so
// the event loop keeps serving mail and the console.
//
// GET /api/archive/stats   -> {"users": [{"user","messages","bytes","sent","received","first","last"}]}
// GET /api/archive/verify  -> {"ok","messages","files","bytes","ledger_entries","seconds",
//                              "problems": [...] (first 10000), "problem_count"}
//                             one verify at a time (409 while one runs)
#pragma once

#include "admin/api/api_context.h"

namespace mailtee::admin {

// Registered by AddArchiveRoutes before /api/archive/{id}.
void AddArchiveOpsRoutes(Router* router, ApiContext* ctx);

}  // namespace mailtee::admin
