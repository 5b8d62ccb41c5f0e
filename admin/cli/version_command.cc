#include <openssl/crypto.h>

#include <cstdio>

#include <uv.h>

#include "admin/cli/commands.h"

#ifndef MAILTEE_VERSION
#define MAILTEE_VERSION "0.1.0"
#endif

namespace mailtee::cli {

int PrintVersion(const Args&) {
  std::printf("mailtee %s (libuv %s, %s)\n", MAILTEE_VERSION, uv_version_string(),
              OpenSSL_version(OPENSSL_VERSION));
  return 0;
}

}  // namespace mailtee::cli
