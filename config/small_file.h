// Reading the small files a config names (the config itself, password files)
// without trusting them: only regular files, and never more than a limit, so a
// path like /dev/zero or a FIFO cannot hang or exhaust the loader.
#pragma once

#include <cstddef>
#include <string>

#include "config/status.h"

namespace mailtee::config {

// Reads all of `path` into *out. Fails, with the path and the cause, when the
// file cannot be opened, is not a regular file, or is larger than max_bytes.
// On success *mode holds the file's permission bits (when mode is not null).
Status ReadSmallFile(const std::string& path, size_t max_bytes, std::string* out, unsigned* mode = nullptr);

}  // namespace mailtee::config
