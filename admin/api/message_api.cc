// The console's safe message viewer:
// GET /api/archive/{id}/parts         -> {"parts":[{index,type,charset,name,attachment,size,view}]}
// GET /api/archive/{id}/part/{n}      -> view=text: UTF-8 text/plain; view=html: sanitized HTML
//                                        under a CSP that sandboxes it and blocks every load
// GET /api/archive/{id}/part/{n}?download=1 -> the decoded bytes as an attachment
//
// Messages are read whole into memory for this, so only messages up to
// kMaxViewBytes are viewable here (413 above it; the .eml download streams).
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "admin/api/api_context.h"
#include "admin/api/html_sanitizer.h"
#include "admin/api/json_util.h"
#include "admin/api/message_parts.h"
#include "archive/archive_id.h"

namespace mailtee::admin {
namespace {

using nlohmann::json;
constexpr uint64_t kMaxViewBytes = 32ull << 20;
// Framable only by the console itself; scripts, plugins, forms, navigation and
// every network load are off even if the part is opened on its own.
constexpr char kPartCsp[] =
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'";

// Reads the message of {id} into *bytes; answers the error itself when false.
bool LoadMessage(ApiContext* ctx, const Request& req, Reply& reply, archive::IndexRecord* record,
                 std::string* bytes) {
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
  const std::string path = ctx->services.archive->storage_dir() + "/" + rel;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    reply(ErrorResponse(404, "the file of message " + id + " is missing (run mailtee archive verify)"));
    return false;
  }
  if (static_cast<uint64_t>(st.st_size) > kMaxViewBytes) {
    reply(ErrorResponse(413, "message larger than 32 MiB: download the .eml instead"));
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  bytes->resize(static_cast<size_t>(st.st_size));
  in.read(bytes->data(), static_cast<std::streamsize>(bytes->size()));
  if (!in) {
    reply(ErrorResponse(500, "cannot read the file of message " + id));
    return false;
  }
  return true;
}

void ListParts(ApiContext* ctx, const Request& req, Reply reply) {
  archive::IndexRecord record;
  std::string message;
  if (!LoadMessage(ctx, req, reply, &record, &message)) return;
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
  reply(Json(json{{"id", record.id}, {"parts", parts}}));
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

void GetPart(ApiContext* ctx, const Request& req, Reply reply) {
  const std::string& n = req.params.at("n");
  if (n.empty() || n.size() > 4 || n.find_first_not_of("0123456789") != std::string::npos) {
    reply(ErrorResponse(400, "part must be a number"));
    return;
  }
  archive::IndexRecord record;
  std::string message;
  if (!LoadMessage(ctx, req, reply, &record, &message)) return;
  const std::vector<MessagePart> parts = ListMessageParts(message);
  const size_t index = std::stoul(n);
  if (index >= parts.size()) {
    reply(ErrorResponse(404, "message " + record.id + " has no part " + n));
    return;
  }
  const MessagePart& part = parts[index];
  const std::string view = PartViewKind(part);
  Response r;
  r.AddHeader("Content-Security-Policy", kPartCsp);
  r.AddHeader("X-Frame-Options", "SAMEORIGIN");
  if (req.Query("download") == "1" || view.empty()) {
    r.content_type = "application/octet-stream";
    r.body = DecodePartBody(message, part);
    r.AddHeader("Content-Disposition",
                AttachmentDisposition(part.filename.empty() ? record.id + "-part" + n : part.filename));
    ctx->Audit(req.user, req.peer_ip, "archive download " + record.id + " part " + n);
  } else if (view == "html") {
    r.content_type = "text/html; charset=utf-8";
    r.body = SanitizeMailHtml(PartTextUtf8(message, part));
  } else {
    r.content_type = "text/plain; charset=utf-8";
    r.body = PartTextUtf8(message, part);
  }
  reply(std::move(r));
}

}  // namespace

void AddMessageRoutes(Router* router, ApiContext* ctx) {
  router->Add("GET", "/api/archive/{id}/parts", Access::kSession,
              [ctx](const Request& r, Reply reply) { ListParts(ctx, r, std::move(reply)); });
  router->Add("GET", "/api/archive/{id}/part/{n}", Access::kSession,
              [ctx](const Request& r, Reply reply) { GetPart(ctx, r, std::move(reply)); });
}

}  // namespace mailtee::admin
