// RunOnWorker: a handler's blocking work (reading and decoding a message,
// walking the index, loading a config) on libuv's thread pool, so the loop
// that carries the mail traffic never waits for it.
//
// run() executes on a worker thread: it may only use what it owns (captured
// by value or shared_ptr) or what is thread-safe. done() executes back on the
// loop thread and builds the answer, which goes to reply. If the server is
// gone by then (ApiContext::alive), nothing is answered. If the pool refuses
// the job, the client gets 503 at once.
#pragma once

#include <functional>

#include "admin/api/api_context.h"

namespace mailtee::admin {

void RunOnWorker(ApiContext* ctx, Reply reply, std::function<void()> run, std::function<Response()> done);

}  // namespace mailtee::admin
