#include "archive/ledger_hash.h"

#include <fcntl.h>
#include <openssl/sha.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

namespace mailtee::archive {
namespace {

std::string Hex(const uint8_t* digest) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out(2 * SHA256_DIGEST_LENGTH, '0');
  for (int i = 0; i < SHA256_DIGEST_LENGTH; ++i) {
    out[2 * i] = kDigits[digest[i] >> 4];
    out[2 * i + 1] = kDigits[digest[i] & 15];
  }
  return out;
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const uint8_t*>(data.data()), data.size(), digest);
  return Hex(digest);
}

Status Sha256File(const std::string& path, std::string* hex, uint64_t* bytes) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::PosixError("open " + path, errno);
  posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  constexpr size_t kChunk = 1 << 20;
  std::unique_ptr<char[]> buf(new char[kChunk]);
  *bytes = 0;
  for (;;) {
    ssize_t n = read(fd, buf.get(), kChunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      return Status::PosixError("read " + path, err);
    }
    if (n == 0) break;
    SHA256_Update(&ctx, buf.get(), static_cast<size_t>(n));
    *bytes += static_cast<uint64_t>(n);
  }
  close(fd);
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256_Final(digest, &ctx);
  *hex = Hex(digest);
  return Status::Ok();
}

}  // namespace mailtee::archive
