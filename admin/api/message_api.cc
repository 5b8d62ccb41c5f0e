// The console's safe message viewer:
// GET /api/archive/{id}/parts         -> {"parts":[{index,type,charset,name,attachment,size,view}]}
// GET /api/archive/{id}/part/{n}      -> view=text: UTF-8 text/plain; view=html: sanitized HTML
//                                        under a CSP that sandboxes it and blocks every load
// GET /api/archive/{id}/part/{n}?download=1 -> the decoded bytes as an attachment
//
// Messages are read whole into memory for this, so only messages up to
// kMaxViewBytes are viewable here (413 above it; the .eml download streams).
// Reading and decoding run on a worker thread (RunOnWorker), never on the
// loop that carries the mail. Every answer with message content is in the
// admin audit trail: "archive parts ID", "archive view ID part N",
// "archive download ID part N".
#include <sys/stat.h>

#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>

#include "admin/api/api_context.h"
#include "admin/api/html_sanitizer.h"
#include "admin/api/json_util.h"
#include "admin/api/message_parts.h"
#include "admin/api/worker_job.h"
#include "archive/archive_id.h"

namespace mailtee::admin {
namespace {

using nlohmann::json;
constexpr uint64_t kMaxViewBytes = 32ull << 20;
// Framable only by the console itself; scripts, plugins, forms, navigation and
// every network load are off even if the part is opened on its own.
constexpr char kPartCsp[] =
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; base-uri 'none'";

// The stored file of {id}: an index lookup (quick, on the loop). Answers the
// error itself when false.
bool FindMessageFile(ApiContext* ctx, const Request& req, Reply& reply, archive::IndexRecord* record,
                     std::string* path) {
  if (!ctx->services.archive) {
    reply(ErrorResponse(503, "the archive index is not available"));
    return false;
  }
  const std::string& id = req.params.at("id");
  if (!archive::LooksLikeArchiveId(id)) {
    reply(ErrorResponse(400, "not an archive id"));
    return false;
  }
  bool found = false;
  Status s = ctx->services.archive->Get(id, record, &found);
  if (!s.ok() || !found) {
    reply(s.ok() ? ErrorResponse(404, "no message " + id + " in the archive")
                 : ErrorResponse(500, "index lookup failed: " + s.message()));
    return false;
  }
  const std::string& rel = record->eml_path;
  if (rel.empty() || rel[0] == '/' || rel.find("..") != std::string::npos) {
    reply(ErrorResponse(404, "message " + id + " has no stored body (" + record->outcome + ")"));
    return false;
  }
  *path = ctx->services.archive->storage_dir() + "/" + rel;
  return true;
}

// Reads the message file whole (on a worker thread). False: *error says why.
bool ReadMessageFile(const std::string& id, const std::string& path, std::string* bytes, Response* error) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    *error = ErrorResponse(404, "the file of message " + id + " is missing (run mailtee archive verify)");
    return false;
  }
  if (static_cast<uint64_t>(st.st_size) > kMaxViewBytes) {
    *error = ErrorResponse(413, "message larger than 32 MiB: download the .eml instead");
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  bytes->resize(static_cast<size_t>(st.st_size));
  in.read(bytes->data(), static_cast<std::streamsize>(bytes->size()));
  if (!in) {
    *error = ErrorResponse(500, "cannot read the file of message " + id);
    return false;
  }
  return true;
}

// What a worker hands back to the loop: the answer, and the audit line to
// write there (empty: none).
struct ViewResult {
  Response response;
  std::string audit;
};

// Worker thread: reading and decoding a message of up to 32 MiB takes long
// enough (~0.5 s) to stall every mail session if done on the loop.
ViewResult ListPartsOnWorker(const archive::IndexRecord& record, const std::string& path) {
  ViewResult result;
  std::string message;
  if (!ReadMessageFile(record.id, path, &message, &result.response)) return result;
  json parts = json::array();
  for (const MessagePart& p : ListMessageParts(message)) {
    parts.push_back({{"index", p.index},
                     {"type", p.content_type},
                     {"charset", p.charset},
                     {"name", p.filename},
                     {"attachment", p.attachment},
                     {"size", DecodePartBody(message, p).size()},
                     {"view", PartViewKind(p)}});
  }
  result.response = Json(json{{"id", record.id}, {"parts", parts}});
  result.audit = "archive parts " + record.id;
  return result;
}

// "report.pdf" -> attachment; filename="report.pdf"; filename*=UTF-8''report.pdf
std::string AttachmentDisposition(const std::string& name) {
  std::string ascii, encoded;
  static const char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : name) {
    const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       c == '.' || c == '-' || c == '_';
    ascii.push_back(plain ? static_cast<char>(c) : '_');
    if (plain) encoded.push_back(static_cast<char>(c));
    else encoded += std::string("%") + kHex[c >> 4] + kHex[c & 15];
  }
  if (ascii.empty()) ascii = encoded = "part";
  return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
}

ViewResult GetPartOnWorker(const archive::IndexRecord& record, const std::string& path, const std::string& n,
                           bool download) {
  ViewResult result;
  std::string message;
  if (!ReadMessageFile(record.id, path, &message, &result.response)) return result;
  const std::vector<MessagePart> parts = ListMessageParts(message);
  const size_t index = std::stoul(n);
  if (index >= parts.size()) {
    result.response = ErrorResponse(404, "message " + record.id + " has no part " + n);
    return result;
  }
  const MessagePart& part = parts[index];
  const std::string view = PartViewKind(part);
  Response& r = result.response;
  r.AddHeader("Content-Security-Policy", kPartCsp);
  r.AddHeader("X-Frame-Options", "SAMEORIGIN");
  if (download || view.empty()) {
    r.content_type = "application/octet-stream";
    r.body = DecodePartBody(message, part);
    r.AddHeader("Content-Disposition",
                AttachmentDisposition(part.filename.empty() ? record.id + "-part" + n : part.filename));
    result.audit = "archive download " + record.id + " part " + n;
  } else {
    r.content_type = view == "html" ? "text/html; charset=utf-8" : "text/plain; charset=utf-8";
    r.body = view == "html" ? SanitizeMailHtml(PartTextUtf8(message, part)) : PartTextUtf8(message, part);
    result.audit = "archive view " + record.id + " part " + n;
  }
  return result;
}

// Runs job on a worker; back on the loop, writes its audit line and answers.
void AnswerFromWorker(ApiContext* ctx, const Request& req, Reply reply, std::function<ViewResult()> job) {
  auto result = std::make_shared<ViewResult>();
  RunOnWorker(
      ctx, std::move(reply), [result, job = std::move(job)] { *result = job(); },
      [ctx, result, user = req.user, from = req.peer_ip] {
        if (!result->audit.empty()) ctx->Audit(user, from, result->audit);
        return std::move(result->response);
      });
}

void ListParts(ApiContext* ctx, const Request& req, Reply reply) {
  archive::IndexRecord record;
  std::string path;
  if (!FindMessageFile(ctx, req, reply, &record, &path)) return;
  AnswerFromWorker(ctx, req, std::move(reply), [record, path] { return ListPartsOnWorker(record, path); });
}

void GetPart(ApiContext* ctx, const Request& req, Reply reply) {
  const std::string& n = req.params.at("n");
  if (n.empty() || n.size() > 4 || n.find_first_not_of("0123456789") != std::string::npos) {
    reply(ErrorResponse(400, "part must be a number"));
    return;
  }
  archive::IndexRecord record;
  std::string path;
  if (!FindMessageFile(ctx, req, reply, &record, &path)) return;
  const bool download = req.Query("download") == "1";
  AnswerFromWorker(ctx, req, std::move(reply),
                   [record, path, n, download] { return GetPartOnWorker(record, path, n, download); });
}

}  // namespace

void AddMessageRoutes(Router* router, ApiContext* ctx) {
  router->Add("GET", "/api/archive/{id}/parts", Access::kSession,
              [ctx](const Request& r, Reply reply) { ListParts(ctx, r, std::move(reply)); });
  router->Add("GET", "/api/archive/{id}/part/{n}", Access::kSession,
              [ctx](const Request& r, Reply reply) { GetPart(ctx, r, std::move(reply)); });
}

}  // namespace mailtee::admin
