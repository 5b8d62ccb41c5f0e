// The web console's static files (admin/web), embedded in the binary at build
// time by admin/web/embed_assets.cmake. Paths are "/index.html", "/js/app.js".
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace mailtee::admin {

struct WebAsset {
  const char* path;
  const unsigned char* data;
  size_t size;
};

// Every embedded file, sorted by path.
const std::vector<WebAsset>& WebAssets();

// "text/javascript; charset=utf-8" for "/js/app.js", by extension.
std::string WebAssetContentType(const std::string& path);

}  // namespace mailtee::admin
