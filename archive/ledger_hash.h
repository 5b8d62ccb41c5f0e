// SHA-256 helpers for the ledger and verify (BoringSSL), hex lowercase.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "config/status.h"

namespace mailtee::archive {

std::string Sha256Hex(std::string_view data);

// Hashes a file front to back in 1 MiB chunks; *bytes gets its size.
// Plain POSIX reads: verify and export read whole archives, page-cache bound.
Status Sha256File(const std::string& path, std::string* hex, uint64_t* bytes);

}  // namespace mailtee::archive
