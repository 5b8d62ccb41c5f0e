#include "admin/cli/archive_command_access.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "admin/local_client.h"
#include "archive/index_record.h"
#include "archive/index_sink.h"
#include "proxy/approval/mime_writer.h"

namespace mailtee::cli {
namespace {

using approval::PercentEncode;  // RFC 3986 unreserved kept (and @), as the approval links do
using nlohmann::json;
constexpr int kQueryTimeoutMs = 120'000;
constexpr int kVerifyTimeoutMs = 24 * 3600 * 1000;  // a whole archive; the daemon answers when done

class DirectAccess : public ArchiveAccess {
 public:
  explicit DirectAccess(std::unique_ptr<archive::ArchiveIndex> index) : index_(std::move(index)) {}
  Status Search(const archive::Query& q, archive::ResultPage* page) override {
    if (index_->tokenizer_outdated())  // the daemon logs it at start; here nobody else would say it
      std::fprintf(stderr, "mailtee archive: warning: %s\n", std::string(archive::kTokenizerOutdatedWarning).c_str());
    return index_->Search(q, page);
  }
  Status Get(const std::string& id, archive::IndexRecord* r, bool* found) override { return index_->Get(id, r, found); }
  Status Stats(std::vector<archive::UserStats>* stats) override { return archive::CollectUserStats(index_.get(), stats); }
  Status Verify(const archive::VerifyOptions& options, archive::VerifyResult* result) override {
    archive::VerifyOptions with_index = options;
    with_index.index = index_.get();
    return archive::VerifyArchive(storage_, with_index, result);
  }
  bool via_daemon() const override { return false; }
  std::string storage_;

 private:
  std::unique_ptr<archive::ArchiveIndex> index_;
};

std::vector<std::string> Strings(const json& j, const char* key) {
  std::vector<std::string> out;
  if (j.contains(key) && j[key].is_array())
    for (const auto& v : j[key]) if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

std::string Str(const json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

archive::IndexRecord RecordFromApiJson(const json& j) {
  archive::IndexRecord r;
  r.id = Str(j, "id");
  r.user = Str(j, "user");
  r.direction = Str(j, "direction");
  r.protocol = Str(j, "protocol");
  r.received_at = Str(j, "received_at");
  r.time_ms = archive::MessageTimeMs(r.received_at, r.id);
  r.envelope_from = Str(j, "envelope_from");
  r.envelope_to = Strings(j, "envelope_to");
  r.from = Strings(j, "from");
  r.to = Strings(j, "to");
  r.cc = Strings(j, "cc");
  r.subject = Str(j, "subject");
  r.message_id = Str(j, "message_id");
  r.size = j.value("size", uint64_t{0});
  r.sha256_hex = Str(j, "sha256");
  r.attachment_count = j.value("attachments", uint32_t{0});
  r.outcome = Str(j, "outcome");
  r.eml_path = Str(j, "eml_path");
  r.report_path = Str(j, "report_path");
  r.report_sha256_hex = Str(j, "report_sha256");
  return r;
}

class DaemonAccess : public ArchiveAccess {
 public:
  explicit DaemonAccess(std::string socket) : socket_(std::move(socket)) {}

  Status Search(const archive::Query& q, archive::ResultPage* page) override {
    std::string target = "/api/archive/search?limit=" + std::to_string(std::min<size_t>(q.limit, 500));
    auto add = [&](const char* name, const std::string& v) {
      if (!v.empty()) target += std::string("&") + name + "=" + PercentEncode(v);
    };
    add("user", q.user);
    add("from", q.from);
    add("to", q.to);
    add("subject", q.subject);
    add("sha256", q.sha256_hex);
    add("message_id", q.message_id);
    add("direction", q.direction);
    add("cursor", q.cursor);
    if (q.since_ms) add("since", archive::FormatUtcTime(*q.since_ms));
    if (q.until_ms) add("until", archive::FormatUtcTime(*q.until_ms));
    if (q.has_attachment) add("attachment", *q.has_attachment ? "yes" : "no");
    json body;
    Status s = Call(target, kQueryTimeoutMs, &body, nullptr);
    if (!s.ok()) return s;
    *page = archive::ResultPage();
    for (const auto& m : body.value("messages", json::array())) page->records.push_back(RecordFromApiJson(m));
    page->next_cursor = Str(body, "next_cursor");
    return Status::Ok();
  }

  Status Get(const std::string& id, archive::IndexRecord* record, bool* found) override {
    json body;
    int status = 0;
    Status s = Call("/api/archive/" + PercentEncode(id), kQueryTimeoutMs, &body, &status);
    *found = status != 404 && status != 400;
    if (!*found) return Status::Ok();
    if (!s.ok()) return s;
    *record = RecordFromApiJson(body.value("record", json::object()));
    return Status::Ok();
  }

  Status Stats(std::vector<archive::UserStats>* stats) override {
    json body;
    Status s = Call("/api/archive/stats", kQueryTimeoutMs * 5, &body, nullptr);
    if (!s.ok()) return s;
    stats->clear();
    for (const auto& u : body.value("users", json::array())) {
      archive::UserStats x;
      x.user = Str(u, "user");
      x.messages = u.value("messages", uint64_t{0});
      x.bytes = u.value("bytes", uint64_t{0});
      x.sent = u.value("sent", uint64_t{0});
      x.received = u.value("received", uint64_t{0});
      archive::ParseIsoTimeMs(Str(u, "first"), &x.first_ms);
      archive::ParseIsoTimeMs(Str(u, "last"), &x.last_ms);
      stats->push_back(std::move(x));
    }
    return Status::Ok();
  }

  Status Verify(const archive::VerifyOptions&, archive::VerifyResult* result) override {
    json body;
    Status s = Call("/api/archive/verify", kVerifyTimeoutMs, &body, nullptr);
    if (!s.ok()) return s;
    *result = archive::VerifyResult();
    result->messages = body.value("messages", uint64_t{0});
    result->files = body.value("files", uint64_t{0});
    result->bytes = body.value("bytes", uint64_t{0});
    result->ledger_entries = body.value("ledger_entries", uint64_t{0});
    result->seconds = body.value("seconds", 0.0);
    result->problems = Strings(body, "problems");
    const uint64_t total = body.value("problem_count", uint64_t{result->problems.size()});
    if (total > result->problems.size())
      result->problems.push_back("... and " + std::to_string(total - result->problems.size()) +
                                 " more problem(s) (stop the daemon and run verify directly for the full list)");
    return Status::Ok();
  }

  bool via_daemon() const override { return true; }

 private:
  // GET target; a non-2xx answer is an error carrying the daemon's message
  // (*status, when given, gets the HTTP status either way).
  Status Call(const std::string& target, int timeout_ms, json* body, int* status) {
    admin::LocalResponse response;
    Status s = admin::LocalApiRequest(socket_, "GET", target, &response, timeout_ms);
    if (!s.ok()) return s.WithContext("while asking the running daemon (" + socket_ + ")");
    if (status) *status = response.status;
    *body = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
    if (response.status / 100 != 2) {
      std::string why = body->is_object() ? Str(*body, "error") : "";
      return Status::Error("the daemon answered " + std::to_string(response.status) + " for " + target +
                           (why.empty() ? "" : ": " + why));
    }
    if (!body->is_object()) return Status::Error("the daemon's answer to " + target + " is not JSON");
    return Status::Ok();
  }
  std::string socket_;
};

}  // namespace

Status OpenArchiveAccess(const std::string& storage_dir, std::unique_ptr<ArchiveAccess>* out) {
  archive::ArchiveIndex::Options o;
  o.create_if_missing = false;
  std::unique_ptr<archive::ArchiveIndex> index;
  Status s = archive::ArchiveIndex::Open(archive::SearchIndexDir(storage_dir), o, &index);
  if (s.ok()) {
    auto direct = std::make_unique<DirectAccess>(std::move(index));
    direct->storage_ = storage_dir;
    *out = std::move(direct);
    return Status::Ok();
  }
  if (!archive::ArchiveIndex::IsLockError(s)) return s.WithContext("(no index yet? run 'mailtee archive reindex')");
  // Locked: the daemon runs. Make sure it answers before promising anything.
  const std::string socket = admin::AdminSocketPath(storage_dir);
  admin::LocalResponse probe;
  Status p = admin::LocalApiRequest(socket, "GET", "/api/session", &probe, 5000);
  if (!p.ok()) {
    return Status::Error("the index is locked by another process, but the daemon's socket " + socket +
                         " does not answer (" + p.message() + "); is another 'mailtee archive' command running?");
  }
  *out = std::make_unique<DaemonAccess>(socket);
  return Status::Ok();
}

}  // namespace mailtee::cli
