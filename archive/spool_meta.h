// spool/<id>.meta: the small durable record beside a spooled message. It holds
// the MessageContext, where the message will be archived, how far the capture
// got (the phase) and, once known, the provider's verdict. Recovery reads only
// this file to decide what a spool file means after a crash (docs/archive.md).
#pragma once

#include <string>
#include <string_view>

#include "archive/message_sink.h"
#include "config/status.h"

namespace mailtee::archive {

enum class SpoolPhase {
  kReceiving,  // bytes still arriving; the client was never told anything: drop on crash
  kSealed,     // spool fsynced, end of data about to go upstream: verdict unknown on crash
  kAccepted,   // provider said yes (or POP3 fetch complete): must end up in the archive
  kRefused,    // provider said no: the attempt is recorded (report only)
  kUnknown,    // no verdict (connection lost after the dot): archived as "unknown"
  kHeld,       // held for approval: archived as "held"
};
const char* SpoolPhaseName(SpoolPhase phase);

// The phase that records a verdict of this kind.
SpoolPhase PhaseForOutcome(Outcome::Kind kind);

struct SpoolMeta {
  std::string id;
  // The stem of this message's spool files: the id, or the name of a
  // pre-created slot (spool_slots.h). ParseSpoolMeta fills in the id if absent.
  std::string spool_name;
  SpoolPhase phase = SpoolPhase::kReceiving;
  std::string archive_dir;   // relative to storage: "archive/<user>/YYYY/MM/DD"
  MessageContext context;
  bool has_outcome = false;
  Outcome outcome;
  // Received mail whose bytes and verdict were made durable by one shared
  // sync (group_sync.h): the SHA-256 of the spooled bytes, so that recovery
  // can tell a verdict that reached the disk without its bytes (a crash
  // inside that sync) and drop it. Empty otherwise (bytes synced first).
  std::string spooled_sha256;
};

// Line format "key value" with \\, \n, \r escaped, framed by a version line
// and a final "end" line so a torn file is rejected rather than misread.
std::string SerializeSpoolMeta(const SpoolMeta& meta);

// The meta file is a small journal: the block above (written once, at Begin)
// followed by update blocks appended in place, each made durable with one
// fsync of the file and no rename, so a phase change costs no directory fsync:
//   update
//   phase accepted
//   outcome accepted / outcome-code 250 / outcome-reply ... / relayed-at ...
//   end <16 hex digits: FNV-1a 64 of the block's bytes before this line>
// SerializeSpoolUpdate renders meta's phase (and outcome, if any) as one block.
std::string SerializeSpoolUpdate(const SpoolMeta& meta);

// Reads the first block and then every complete update block in order, later
// values replacing earlier ones. The first block must be whole (else error: the
// file is from before the seal). An update block that is torn or fails its
// checksum ends the journal: it and anything after it are ignored, because an
// append is acknowledged only after its fsync, and a torn one never was.
Status ParseSpoolMeta(std::string_view text, SpoolMeta* meta);

// 16 hex digits of FNV-1a 64: the checksum of the journals' records (this
// meta's update blocks, retrieval_journal.h). Detects torn or half-overwritten
// records; not a security measure.
std::string Fnv1a64Hex(std::string_view bytes);

}  // namespace mailtee::archive
