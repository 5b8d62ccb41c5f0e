// GET /api/archive/search?user=&from=&to=&subject=&sha256=&message_id=&since=&until=
//                        &direction=&attachment=yes|no&limit=&cursor=
//                                   -> {"messages": [...], "next_cursor": "..."}
//                                   a subject of symbols only ("①") -> 400 code subject-unsearchable
// GET /api/archive/stats, /api/archive/verify -> archive_ops_api.h
// GET /api/archive/{id}             -> the index record and the full report as JSON (every
//                                      retrieval, with the retrieval journal's)
// GET /api/archive/{id}/eml         -> the message bytes (message/rfc822 download)
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "admin/api/api_context.h"
#include "admin/api/archive_ops_api.h"
#include "admin/api/json_util.h"
#include "archive/archive_id.h"
#include "archive/report.h"
#include "archive/retrieval_journal.h"

namespace mailtee::admin {
namespace {

using nlohmann::json;
constexpr size_t kMaxReportBytes = 8 << 20;
constexpr size_t kMaxPageSize = 500;

// with_paths: storage-relative file paths, only for the root-only local socket
// (`mailtee archive export` reads the files itself); never over HTTPS.
json RecordJson(const archive::IndexRecord& r, bool with_paths) {
  json out{{"id", r.id}, {"user", r.user}, {"direction", r.direction}, {"protocol", r.protocol},
              {"received_at", r.received_at}, {"envelope_from", r.envelope_from}, {"envelope_to", r.envelope_to},
              {"from", r.from}, {"to", r.to}, {"cc", r.cc}, {"subject", r.subject}, {"message_id", r.message_id},
              {"size", r.size}, {"sha256", r.sha256_hex}, {"attachments", r.attachment_count},
              {"outcome", r.outcome}, {"has_eml", !r.eml_path.empty()}};
  if (with_paths) {
    out["eml_path"] = r.eml_path;
    out["report_path"] = r.report_path;
    out["report_sha256"] = r.report_sha256_hex;
  }
  return out;
}

json ReportJson(const archive::Report& r) {
  json attachments = json::array();
  for (const auto& a : r.summary.attachments) attachments.push_back({{"name", a.name}, {"size", a.size}, {"type", a.type}});
  json retrievals = json::array();
  for (const auto& x : r.retrievals) retrievals.push_back({{"at", x.at}, {"client_ip", x.client_ip}, {"id", x.id}});
  return json{{"id", r.id}, {"direction", r.direction}, {"protocol", r.protocol}, {"listener", r.listener},
              {"user", r.user}, {"client_ip", r.client_ip}, {"received_at", r.received_at},
              {"relayed_at", r.relayed_at}, {"envelope_from", r.envelope_from}, {"envelope_to", r.envelope_to},
              {"bcc", r.bcc}, {"from", r.summary.from}, {"to", r.summary.to}, {"cc", r.summary.cc},
              {"subject", r.summary.subject}, {"message_id", r.summary.message_id}, {"date", r.summary.date},
              {"size", r.summary.size}, {"sha256", r.summary.sha256_hex}, {"attachments", attachments},
              {"uidl", r.uidl}, {"retrievals", retrievals}, {"outcome", r.outcome},
              {"outcome_code", r.outcome_code}, {"outcome_reply", r.outcome_reply}};
}

// Paths come from the index; still, never serve anything outside the storage dir.
bool SafeRelativePath(const std::string& p) {
  return !p.empty() && p[0] != '/' && p.find("..") == std::string::npos;
}

bool ParseTime(const std::string& text, std::optional<int64_t>* out) {
  if (text.empty()) return true;
  int64_t ms = 0;
  std::string iso = text.size() == 10 ? text + "T00:00:00Z" : text;  // a bare date means its start (UTC)
  if (!archive::ParseIsoTimeMs(iso, &ms)) return false;
  *out = ms;
  return true;
}

bool BuildQuery(const Request& req, archive::Query* q, std::string* error) {
  q->user = req.Query("user");
  q->from = req.Query("from");
  q->to = req.Query("to");
  q->subject = req.Query("subject");
  q->sha256_hex = req.Query("sha256");
  q->message_id = req.Query("message_id");
  q->direction = req.Query("direction");
  q->cursor = req.Query("cursor");
  if (!q->direction.empty() && q->direction != "sent" && q->direction != "received") {
    *error = "direction must be sent or received";
    return false;
  }
  const std::string& att = req.Query("attachment");
  if (!att.empty()) {
    if (att == "yes" || att == "true" || att == "1") q->has_attachment = true;
    else if (att == "no" || att == "false" || att == "0") q->has_attachment = false;
    else {
      *error = "attachment must be yes or no";
      return false;
    }
  }
  const std::string& limit = req.Query("limit");
  if (!limit.empty()) {
    if (limit.size() > 6 || limit.find_first_not_of("0123456789") != std::string::npos || std::stoul(limit) == 0) {
      *error = "limit must be a number from 1 to " + std::to_string(kMaxPageSize);
      return false;
    }
    q->limit = std::min<size_t>(std::stoul(limit), kMaxPageSize);
  }
  if (!ParseTime(req.Query("since"), &q->since_ms) || !ParseTime(req.Query("until"), &q->until_ms)) {
    *error = "since/until must be ISO 8601 (2026-11-24 or 2026-11-24T16:20:24+09:00)";
    return false;
  }
  return true;
}

// 400 {"error", "code": "subject-unsearchable"} for a subject of symbols only
// ("①", "！"): the console says why in its language (strings.js
// search.refused.<code>); searching would have listed every message.
bool Searchable(const archive::Query& q, Reply& reply) {
  Status valid = archive::ValidateQuery(q);
  if (valid.ok()) return true;
  reply(Json(json{{"error", valid.message()}, {"code", "subject-unsearchable"}}, 400));
  return false;
}

bool Available(ApiContext* ctx, Reply& reply) {
  if (ctx->services.archive) return true;
  reply(ErrorResponse(503, "the archive index is not available"));
  return false;
}

void Search(ApiContext* ctx, const Request& req, Reply reply) {
  if (!Available(ctx, reply)) return;
  archive::Query q;
  std::string error;
  if (!BuildQuery(req, &q, &error)) {
    reply(ErrorResponse(400, error));
    return;
  }
  if (!Searchable(q, reply)) return;
  archive::ResultPage page;
  Status s = ctx->services.archive->Search(q, &page);
  if (!s.ok()) {
    reply(ErrorResponse(500, "search failed: " + s.message()));
    return;
  }
  json messages = json::array();
  for (const auto& r : page.records) messages.push_back(RecordJson(r, req.local_socket));
  ctx->Audit(req.user, req.peer_ip, "archive search " + req.target.substr(req.target.find('?') == std::string::npos
                                                                               ? req.target.size()
                                                                               : req.target.find('?')));
  reply(Json(json{{"messages", messages}, {"next_cursor", page.next_cursor}}));
}

// Looks up {id}; answers 400/404/500 itself when it returns false.
bool Lookup(ApiContext* ctx, const Request& req, Reply& reply, archive::IndexRecord* record) {
  if (!Available(ctx, reply)) return false;
  const std::string& id = req.params.at("id");
  if (!archive::LooksLikeArchiveId(id)) {
    reply(ErrorResponse(400, "not an archive id"));
    return false;
  }
  bool found = false;
  Status s = ctx->services.archive->Get(id, record, &found);
  if (!s.ok()) {
    reply(ErrorResponse(500, "index lookup failed: " + s.message()));
    return false;
  }
  if (!found) {
    reply(ErrorResponse(404, "no message " + id + " in the archive"));
    return false;
  }
  return true;
}

void Show(ApiContext* ctx, const Request& req, Reply reply) {
  archive::IndexRecord record;
  if (!Lookup(ctx, req, reply, &record)) return;
  json out{{"record", RecordJson(record, req.local_socket)}};
  if (SafeRelativePath(record.report_path)) {
    const std::string path = ctx->services.archive->storage_dir() + "/" + record.report_path;
    std::ifstream in(path, std::ios::binary);
    std::string xml;
    if (in) {
      xml.resize(kMaxReportBytes + 1);
      in.read(xml.data(), static_cast<std::streamsize>(xml.size()));
      xml.resize(static_cast<size_t>(in.gcount()));
    }
    archive::Report report;
    Status s = !in && xml.empty() ? Status::Error("cannot read " + record.report_path)
               : xml.size() > kMaxReportBytes ? Status::Error("report larger than 8 MiB")
                                              : archive::ParseReportXml(xml, &report);
    // Every retrieval, also those the report no longer lists (its journal).
    if (s.ok()) s = archive::ReadAllRetrievals(archive::Env::Default(), path, report, &report.retrievals);
    if (s.ok()) out["report"] = ReportJson(report);
    else out["report_error"] = s.message();
  }
  ctx->Audit(req.user, req.peer_ip, "archive show " + record.id);
  reply(Json(out));
}

void Download(ApiContext* ctx, const Request& req, Reply reply) {
  archive::IndexRecord record;
  if (!Lookup(ctx, req, reply, &record)) return;
  if (record.eml_path.empty()) {
    reply(ErrorResponse(404, "message " + record.id + " has no stored body (" + record.outcome + ")"));
    return;
  }
  if (!SafeRelativePath(record.eml_path)) {
    reply(ErrorResponse(500, "index holds an unsafe path for " + record.id));
    return;
  }
  const std::string path = ctx->services.archive->storage_dir() + "/" + record.eml_path;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    reply(ErrorResponse(404, "the file of message " + record.id + " is missing (run mailtee archive verify)"));
    return;
  }
  Response r;
  r.content_type = "message/rfc822";
  r.body_file = path;
  r.body_file_size = static_cast<uint64_t>(st.st_size);
  r.AddHeader("Content-Disposition", "attachment; filename=\"" + record.id + ".eml\"");
  ctx->Audit(req.user, req.peer_ip, "archive download " + record.id);
  reply(std::move(r));
}

}  // namespace

void AddArchiveRoutes(Router* router, ApiContext* ctx) {
  router->Add("GET", "/api/archive/search", Access::kSession,
              [ctx](const Request& r, Reply reply) { Search(ctx, r, std::move(reply)); });
  AddArchiveOpsRoutes(router, ctx);  // /api/archive/stats, /verify: before {id} matches them
  router->Add("GET", "/api/archive/{id}", Access::kSession,
              [ctx](const Request& r, Reply reply) { Show(ctx, r, std::move(reply)); });
  router->Add("GET", "/api/archive/{id}/eml", Access::kSession,
              [ctx](const Request& r, Reply reply) { Download(ctx, r, std::move(reply)); });
}

}  // namespace mailtee::admin
