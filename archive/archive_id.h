// Message ids: "20261124T162024Z-3f9a0c1be27d" = UTC second of receipt + 48
// random bits from RAND_bytes. They sort by time as plain strings, and are
// unique across restarts and processes without any shared counter (the spool
// file is also created with O_EXCL, so a collision is retried, never merged).
#pragma once

#include <chrono>
#include <string>

namespace mailtee::archive {

std::string NewArchiveId(std::chrono::system_clock::time_point at);

// True for strings NewArchiveId can produce (used to recognise spool files).
bool LooksLikeArchiveId(const std::string& id);

}  // namespace mailtee::archive
