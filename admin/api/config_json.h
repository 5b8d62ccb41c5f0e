// The running configuration as JSON for /api/config, with every secret left
// out: account passwords appear only as "password_set": true|false. New
// secret fields must be added here masked (tests/unit/admin checks that a
// known password never appears in the output).
#pragma once

#include <nlohmann/json.hpp>

#include "config/config.h"

namespace mailtee::admin {

nlohmann::json ConfigToJson(const config::Config& config);

}  // namespace mailtee::admin
