#include "archive/verify.h"

#include <array>
#include <chrono>
#include <unordered_map>

#include "archive/env.h"
#include "archive/index_sink.h"
#include "archive/index_walk.h"
#include "archive/ledger.h"
#include "archive/ledger_hash.h"
#include "archive/report.h"
#include "archive/retrieval_journal.h"

namespace mailtee::archive {
namespace {

constexpr size_t kMaxReportBytes = 64 << 20;

// The latest ledger entry of each message, compact: a million messages are
// held at once (~150 bytes each with the map node). Paths are read again from
// the ledger for the few messages that need them in a problem line.
struct LedgerState {
  uint64_t seq = 0;
  bool purged = false;
  bool has_eml = false;
  bool seen = false;  // walked on disk
  std::array<uint8_t, 32> message_sha256{}, report_sha256{};
};

std::array<uint8_t, 32> ShaBytes(const std::string& hex) {
  std::array<uint8_t, 32> out{};
  auto nibble = [](char c) -> uint8_t {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 0;
  };
  for (size_t i = 0; i < 32 && 2 * i + 1 < hex.size(); ++i)
    out[i] = static_cast<uint8_t>(nibble(hex[2 * i]) << 4 | nibble(hex[2 * i + 1]));
  return out;
}

class Verifier {
 public:
  Verifier(const std::string& storage, const VerifyOptions& options, VerifyResult* result)
      : storage_(storage), options_(options), result_(result) {}

  Status Run() {
    Status s = LoadLedger();
    if (!s.ok()) return s;
    WalkCallbacks cb;
    cb.message = [this](const ArchivedFiles& f) { return Message(f); };
    cb.unexpected = [this](const std::string& rel) { Problem(rel + ": unexpected file in the archive folder"); };
    s = WalkArchive(storage_, cb);
    if (!s.ok()) return s;
    for (const auto& [id, state] : ledger_)
      if (!state.purged && !state.seen)
        Later(id, kMissingPath + ": missing (archived per ledger entry #" + std::to_string(state.seq) + ")");
    if (options_.index) {
      s = options_.index->ForEach([this](const IndexRecord& r) {
        // Not in the ledger (or purged there), so the walk's check of it did
        // not cover it: a message committed after the walk passed its folder
        // is fine; one whose files are gone is not.
        auto it = ledger_.find(r.id);
        if ((it == ledger_.end() || it->second.purged) && !FileExists(Env::Default(), storage_ + "/" + r.report_path))
          Later(r.id, r.report_path + ": listed by the search index but not on disk (run 'mailtee archive reindex')");
        return true;
      });
      if (!s.ok()) return s;
    }
    s = RecheckLater();
    if (!s.ok()) return s;
    Progress(true);
    return Status::Ok();
  }

 private:
  void Problem(std::string p) { result_->problems.push_back(std::move(p)); }

  // With the daemon running, mail arrives and retention purges while verify
  // walks: a file newer than the ledger snapshot, a record the index has not
  // got yet, a message purged after the snapshot. Such findings wait for a
  // second look at the ledger (and index) at the end; real ones stay.
  // A problem text starting with kMissingPath gets the report path from the ledger.
  void Later(const std::string& id, std::string problem) { later_.emplace_back(id, std::move(problem)); }
  inline static const std::string kMissingPath = "\x01";

  Status RecheckLater() {
    if (later_.empty()) return Status::Ok();
    struct Last {
      std::string action, report_path;
    };
    std::unordered_map<std::string, Last> last;  // only the ids in question
    for (const auto& [id, p] : later_) last[id];
    LedgerScan scan;
    Status s = ScanLedger(LedgerPath(storage_), [&](const LedgerEntry& e) {
      auto it = last.find(e.id);
      if (it != last.end()) it->second = Last{e.action, e.report_path};
    }, &scan);
    if (!s.ok()) return s;
    for (auto& [id, problem] : later_) {
      const std::string& action = last[id].action;
      if (problem.rfind(kMissingPath, 0) == 0) problem = last[id].report_path + problem.substr(kMissingPath.size());
      const bool now_purged = action == kLedgerActionPurge;
      const bool was_unledgered = problem.find("not in the ledger") != std::string::npos;
      const bool was_unindexed = problem.find("not in the search index") != std::string::npos;
      if (now_purged && !was_unledgered && !was_unindexed) continue;  // purged during the walk
      if (was_unledgered && !action.empty()) continue;                // committed during the walk
      if (was_unindexed && options_.index) {
        IndexRecord rec;
        bool found = false;
        s = options_.index->Get(id, &rec, &found);
        if (!s.ok()) return s;
        if (found) continue;                                          // indexed during the walk
      }
      Problem(std::move(problem));
    }
    return Status::Ok();
  }

  Status LoadLedger() {
    LedgerScan scan;
    std::string index_head;
    if (options_.index) {
      Status s = options_.index->GetLedgerHead(&index_head);
      if (!s.ok()) return s;
    }
    uint64_t index_seq = index_head.empty() ? 0 : std::stoull(index_head);
    std::string hash_at_index_seq;
    Status s = ScanLedger(LedgerPath(storage_), [&](const LedgerEntry& e) {
      LedgerState& st = ledger_[e.id];
      st = LedgerState{e.seq, e.action == kLedgerActionPurge, !e.eml_path.empty(), false, ShaBytes(e.message_sha256),
                       ShaBytes(e.report_sha256)};
      if (e.seq == index_seq) hash_at_index_seq = std::to_string(e.seq) + " " + e.entry_hash;
    }, &scan);
    if (!s.ok()) return s;
    result_->ledger_entries = scan.entries;
    for (std::string& p : scan.problems) Problem(std::move(p));
    if (!index_head.empty() && hash_at_index_seq != index_head) {
      uint64_t last = scan.head.empty() ? 0 : std::stoull(scan.head);
      if (last < index_seq)
        Problem("ledger.log ends at entry #" + std::to_string(last) + " but the search index saw entry #" +
                std::to_string(index_seq) + ": entries were cut off the end");
      else
        Problem("ledger.log entry #" + std::to_string(index_seq) + " is not the one the search index saw (rewritten)");
    }
    return Status::Ok();
  }

  Status Message(const ArchivedFiles& f) {
    ++result_->messages;
    auto it = ledger_.find(f.id);
    LedgerState* led = it == ledger_.end() ? nullptr : &it->second;
    if (led) led->seen = true;
    const std::string entry = led ? "ledger entry #" + std::to_string(led->seq) : "";
    if (!led) Later(f.id, (f.has_xml ? f.xml_path() : f.eml_path()) + ": not in the ledger (added outside mailtee?)");
    if (led && led->purged) Problem(f.xml_path() + ": purged per " + entry + " but still on disk");

    // The report.
    std::string report_sha;
    Report report;
    bool report_ok = false;
    if (!f.has_xml) {
      Problem(f.xml_path() + ": report missing" + (led ? " (recorded in " + entry + ")" : ""));
    } else {
      std::string xml;
      Status s = ReadWholeFile(Env::Default(), storage_ + "/" + f.xml_path(), kMaxReportBytes, &xml);
      if (!s.ok()) return s;
      Count(xml.size());
      report_sha = Sha256Hex(xml);
      s = ParseReportXml(xml, &report);
      report_ok = s.ok();
      if (!report_ok) Problem(f.xml_path() + ": report cannot be read: " + s.message());
    }
    const bool report_changed = led && f.has_xml && !led->purged && ShaBytes(report_sha) != led->report_sha256;

    // The message bytes.
    std::string eml_sha;
    if (f.has_eml) {
      uint64_t bytes = 0;
      Status s = Sha256File(storage_ + "/" + f.eml_path(), &eml_sha, &bytes);
      if (!s.ok()) return s;
      Count(bytes);
      const bool vs_ledger = led && !led->purged && ShaBytes(eml_sha) != led->message_sha256;
      const bool vs_report = report_ok && eml_sha != report.summary.sha256_hex;
      if (vs_ledger) {
        Problem(f.eml_path() + ": SHA-256 differs from the " + entry +
                (report_changed ? (vs_report ? " and from its report (report was also changed)"
                                             : " (report was also changed)")
                                : (vs_report ? " and from its report" : "")));
      } else if (vs_report) {
        Problem(f.eml_path() + ": SHA-256 differs from its report");
      }
      if (report_changed && !vs_ledger)
        Problem(f.xml_path() + ": report differs from the " + entry + " (edited after archiving)");
    } else {
      if (led && !led->purged && led->has_eml)
        Problem(f.eml_path() + ": missing (archived per " + entry + ")");
      else if (!led && report_ok && report.outcome != "refused")
        Problem(f.eml_path() + ": missing (the report says " + report.outcome + ")");
      if (report_changed) Problem(f.xml_path() + ": report differs from the " + entry + " (edited after archiving)");
    }

    // The retrieval journal: its folded part is chained in the report, which the ledger hashes.
    if (f.has_retrievals && !f.has_xml) {
      Problem(f.retrievals_path() + ": retrieval journal without its report");
    } else if (f.has_retrievals && report_ok) {
      FileInfo info;
      Status s = Env::Default()->Stat(storage_ + "/" + f.retrievals_path(), &info);
      if (s.ok()) s = CheckRetrievalJournal(Env::Default(), storage_ + "/" + f.retrievals_path(), f.retrievals_path(),
                                            report, &result_->problems);
      if (!s.ok()) return s;
      Count(info.size);
    } else if (!f.has_retrievals && report_ok && report.retrieval_journal_bytes > 0) {
      Problem(f.retrievals_path() + ": missing (its report folded " + std::to_string(report.retrieval_journal_bytes) +
              " bytes of it)");
    }

    if (options_.index && f.has_xml) {
      IndexRecord rec;
      bool found = false;
      Status s = options_.index->Get(f.id, &rec, &found);
      if (!s.ok()) return s;
      if (!found)
        Later(f.id, f.xml_path() + ": not in the search index (run 'mailtee archive reindex')");
      // The index is a copy of the report: a tampered .eml is reported above,
      // and reindexing would not change it.
      else if (rec.report_sha256_hex != report_sha || (report_ok && rec.sha256_hex != report.summary.sha256_hex))
        Problem(f.xml_path() + ": search index record is out of date (run 'mailtee archive reindex')");
    }
    Progress(false);
    return Status::Ok();
  }

  void Count(uint64_t bytes) {
    ++result_->files;
    result_->bytes += bytes;
  }

  void Progress(bool final) {
    auto now = std::chrono::steady_clock::now();
    result_->seconds = std::chrono::duration<double>(now - start_).count();
    if (!options_.progress) return;
    bool due = final || result_->files - last_files_ >= options_.progress_every_files ||
               std::chrono::duration<double>(now - last_report_).count() >= options_.progress_every_seconds;
    if (!due) return;
    last_files_ = result_->files;
    last_report_ = now;
    options_.progress({result_->files, result_->bytes, result_->seconds});
  }

  const std::string& storage_;
  const VerifyOptions& options_;
  VerifyResult* result_;
  std::unordered_map<std::string, LedgerState> ledger_;
  std::vector<std::pair<std::string, std::string>> later_;  // id, problem
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_report_ = start_;
  uint64_t last_files_ = 0;
};

}  // namespace

Status VerifyArchive(const std::string& storage_dir, const VerifyOptions& options, VerifyResult* result) {
  *result = VerifyResult();
  return Verifier(storage_dir, options, result).Run().WithContext("while verifying " + storage_dir);
}

}  // namespace mailtee::archive
