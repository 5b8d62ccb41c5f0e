// ArchiveStore::Recover: what a crash left in the spool, decided by the meta's
// phase (docs/archive.md, "Recovery"):
//   receiving (or torn meta)      -> delete: the client was never told "accepted"
//   sealed                        -> archive with outcome "unknown"
//   accepted/refused/unknown/held -> finish the interrupted commit
//   last record (sent: sealed; received: the verdict) carries a SHA-256 the
//   bytes do not match (or they are gone and not archived) -> delete: that
//   record's call never returned
//   .eml.part without meta        -> delete;  *.tmp -> delete
#include <algorithm>
#include <optional>
#include <set>

#include "archive/archive_store.h"
#include "archive/dedupe_index.h"
#include "archive/spool_slots.h"

namespace mailtee::archive {
namespace {

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string Stem(const std::string& name, std::string_view suffix) {
  return name.substr(0, name.size() - suffix.size());
}

}  // namespace

Status ArchiveStore::RecoverOne(const std::string& stem, RecoveryStats* stats) {
  const std::string meta_path = SpoolPath(stem, ".meta");
  std::string text;
  SpoolMeta meta;
  Status s = ReadWholeFile(env_, meta_path, 1 << 20, &text);
  if (!s.ok()) return s;
  if (text.empty() && IsSpoolSlotName(stem)) {
    // A pre-created pair no message took (or whose first block never reached
    // the disk: unsealed either way, since the seal fsyncs the meta).
    s = env_->RemoveFile(SpoolPath(stem, ".eml.part"));
    if (s.ok()) s = env_->RemoveFile(meta_path);
    if (s.ok()) stats->unused_slots_removed++;
    return s;
  }
  Status parsed = ParseSpoolMeta(text, &meta);
  // A whole meta that names other spool files (copied or renamed by hand) is
  // not a torn one: it may carry a verdict the client heard. Neither delete it
  // nor archive it from files it does not name; leave it for an operator.
  if (parsed.ok() && meta.spool_name != stem)
    return Status::Error("spool meta " + meta_path + " of message " + meta.id + " names other spool files " +
                         meta.spool_name + "; left in place");
  const std::string id = parsed.ok() ? meta.id : stem;

  // The journal's first block is fsynced with the seal, so a torn one never
  // got past "receiving": it is dropped like any unsealed message. (A torn
  // update block after it is ignored by the parser: the phase before it.)
  if (!parsed.ok() || meta.phase == SpoolPhase::kReceiving) {
    s = env_->RemoveFile(SpoolPath(stem, ".eml.part"));
    if (s.ok()) s = env_->RemoveFile(meta_path);
    if (!s.ok()) return s;
    stats->dropped_unsealed++;
    Log(LogKind::kSystem, "recovery: message " + id + " was still being received (" +
                              (parsed.ok() ? "phase receiving" : parsed.message()) +
                              "); the client was never told it was accepted; spool deleted");
    return Status::Ok();
  }

  // Bytes and a record (sent: sealed; received: the verdict) that shared one
  // sync: the record may have reached the disk without the bytes (a crash
  // inside that sync). The call that wrote it never returned: the dot never
  // went upstream (sent), or the session never counted the fetch and never
  // relayed a QUIT after it, so the provider still has the message (received).
  // The part's folder entry may be what was lost (files Begin created itself
  // first become durable in that sync): no part and no archived .eml is the
  // same case, since the rename into the archive follows the sync.
  // Only while that record is the last one: a sent message's verdict comes
  // after the seal's sync returned (the dot went upstream, the client may
  // have heard 250), so its bytes were durable and it is never dropped here.
  std::optional<MessageSummary> spooled;
  const std::string part = SpoolPath(stem, ".eml.part");
  const bool part_here = FileExists(env_, part);
  const bool hash_record_is_last =
      meta.context.direction == Direction::kReceived || meta.phase == SpoolPhase::kSealed;
  if (!meta.spooled_sha256.empty() && hash_record_is_last &&
      (part_here || !FileExists(env_, Abs(meta.archive_dir + "/" + meta.id + ".eml")))) {
    spooled.emplace();
    if (part_here) {
      s = AnalyzeStoredMessage(env_, part, &*spooled);
      if (!s.ok()) return s;
    }
    if (spooled->sha256_hex != meta.spooled_sha256) {
      s = env_->RemoveFile(part);
      if (s.ok()) s = env_->RemoveFile(meta_path);
      if (!s.ok()) return s;
      stats->dropped_unsealed++;
      const bool received = meta.context.direction == Direction::kReceived;
      Log(LogKind::kSystem, std::string("recovery: ") + (received ? "received" : "sent") + " message " + id +
                                ": its bytes did not reach the disk before the crash (" +
                                (part_here ? "SHA-256 differs from the one recorded with them"
                                           : "its spool file is gone and it is not in the archive") +
                                (received ? "); it was never confirmed and is still at the provider"
                                          : "); its end of data was never relayed and the client never heard it "
                                            "was accepted") +
                                "; spool deleted");
      return Status::Ok();
    }
  }

  bool was_sealed = meta.phase == SpoolPhase::kSealed;
  if (was_sealed) {
    meta.phase = SpoolPhase::kUnknown;
    meta.has_outcome = true;
    meta.outcome = Outcome{Outcome::Kind::kUnknown, 0, kUnknownOutcomeReply, {}};
    s = WriteMetaAtomically(meta);
    if (!s.ok()) return s;
  }
  s = FinishCommit(meta, spooled && part_here ? &*spooled : nullptr, nullptr);
  if (!s.ok()) return s;
  if (was_sealed) stats->archived_unknown++;
  else stats->finished_commits++;
  Log(LogKind::kSystem, "recovery: message " + id + " for " + meta.archive_dir + " archived with outcome " +
                            SpoolPhaseName(meta.phase) + (was_sealed ? " (crash after the end of data was sealed)" : ""));
  return Status::Ok();
}

Status ArchiveStore::Recover(RecoveryStats* stats) {
  *stats = RecoveryStats();
  const std::string spool_dir = storage_dir_ + "/spool";
  std::vector<std::string> names;
  Status s = env_->ListDir(spool_dir, &names);
  if (!s.ok()) return s.WithContext("while recovering the spool");
  std::sort(names.begin(), names.end());  // ids sort by time: recover oldest first

  std::set<std::string> metas;
  for (const auto& name : names) {
    if (EndsWith(name, ".tmp")) {
      s = env_->RemoveFile(spool_dir + "/" + name);
      if (s.ok()) stats->temps_removed++;
    } else if (EndsWith(name, ".meta")) {
      metas.insert(Stem(name, ".meta"));
    }
  }

  Status first_error;
  for (const auto& id : metas) {
    s = RecoverOne(id, stats);
    if (!s.ok()) {
      stats->failed++;
      Log(LogKind::kSystem, "recovery: message " + id + " left in the spool: " + s.message());
      if (first_error.ok()) first_error = s.WithContext("while recovering message " + id);
    }
  }

  for (const auto& name : names) {
    if (!EndsWith(name, ".eml.part") || metas.count(Stem(name, ".eml.part"))) continue;
    s = env_->RemoveFile(spool_dir + "/" + name);
    if (s.ok()) {
      stats->orphans_removed++;
      Log(LogKind::kSystem, "recovery: removed spool file without meta " + name);
    }
  }
  s = env_->SyncDir(spool_dir);
  if (first_error.ok() && !s.ok()) first_error = s;
  return first_error;
}

}  // namespace mailtee::archive
