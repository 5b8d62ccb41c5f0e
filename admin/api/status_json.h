// The /api/status document, shared with /metrics.
#pragma once

#include <nlohmann/json.hpp>

#include "admin/api/api_context.h"

namespace mailtee::admin {

nlohmann::json ListenersJson(const ApiContext& ctx);
nlohmann::json StatusJson(const ApiContext& ctx);

}  // namespace mailtee::admin
