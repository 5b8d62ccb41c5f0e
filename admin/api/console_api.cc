// GET /                 the web console (admin/web/index.html)
// GET /<asset path>     its scripts, styles and icons (admin/web/**)
//
// All public: they hold no data, only code; every datum comes from the JSON
// API after login. The page loads scripts only from files (no inline script),
// so the server's CSP "default-src 'self'" applies to the whole UI. The files
// are embedded in the binary (web_assets.h), one exact route per file.
#include "admin/api/api_context.h"
#include "admin/api/web_assets.h"

namespace mailtee::admin {

std::string WebAssetContentType(const std::string& path) {
  auto ends = [&](const char* ext) {
    const std::string e(ext);
    return path.size() >= e.size() && path.compare(path.size() - e.size(), e.size(), e) == 0;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  if (ends(".ico")) return "image/x-icon";
  return "application/octet-stream";
}

namespace {

void Serve(const WebAsset& asset, Reply reply) {
  Response r;
  r.content_type = WebAssetContentType(asset.path);
  r.body.assign(reinterpret_cast<const char*>(asset.data), asset.size);
  reply(std::move(r));
}

}  // namespace

void AddConsoleRoutes(Router* router, ApiContext*) {
  for (const WebAsset& asset : WebAssets()) {
    router->Add("GET", asset.path, Access::kPublic, [&asset](const Request&, Reply reply) { Serve(asset, reply); });
    if (std::string(asset.path) == "/index.html") {
      router->Add("GET", "/", Access::kPublic, [&asset](const Request&, Reply reply) { Serve(asset, reply); });
    }
  }
}

}  // namespace mailtee::admin
