// CloseAndDiscard: for a stream its owner no longer wants to track — e.g. a
// connection refused over the per-IP cap after writing "421 ...", or an upstream
// connection that arrived after the session gave up. Queued writes are still
// flushed (bounded by kCloseGraceMs); the stream deletes itself after on_closed.
// All of the stream's callbacks are replaced, so none of the old owner's fire.
#pragma once

#include <memory>

#include "proxy/net/stream.h"

namespace mailtee::net {

void CloseAndDiscard(std::unique_ptr<Stream> stream);

}  // namespace mailtee::net
