// Builds the report of an archived message from what the store knows: the
// spooled context and verdict (SpoolMeta) and what the analyzer read.
#pragma once

#include "archive/report.h"
#include "archive/spool_meta.h"

namespace mailtee::archive {

// The user the archive files the message under: the login, else the envelope sender.
const std::string& ArchiveUser(const MessageContext& context);

// outcome: "relayed" (sent) / "fetched" (received), "refused", "unknown", "held".
// Received mail gets its first retrieval (received_at, client_ip, the id).
Report BuildStoreReport(const SpoolMeta& meta, const MessageSummary& summary);

// The retrieval a received message's capture stands for; its id is the
// capture's archive id, so every fetch has its own.
Retrieval RetrievalOf(const SpoolMeta& meta);

}  // namespace mailtee::archive
