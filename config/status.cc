#include "config/status.h"

#include <cstring>

namespace mailtee {

Status Status::PosixError(const std::string& context, int err) {
  return Status(context + ": " + std::strerror(err));
}

}  // namespace mailtee
