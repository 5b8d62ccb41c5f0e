// JSON output for the API. Archive data (subjects, names) may hold bytes that
// are not UTF-8; nlohmann::json would throw on dump, so every response is
// dumped with invalid sequences replaced (U+FFFD) instead.
#pragma once

#include <nlohmann/json.hpp>

#include "admin/http/http_message.h"

namespace mailtee::admin {

inline std::string DumpJson(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

inline Response Json(const nlohmann::json& value, int status = 200) { return JsonResponse(status, DumpJson(value)); }

}  // namespace mailtee::admin
