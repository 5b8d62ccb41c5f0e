#include "admin/auth/random_token.h"

#include <sodium.h>

namespace mailtee::admin {
namespace {

std::string Hex(const unsigned char* bytes, size_t n) {
  std::string out(n * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes, n);
  out.resize(n * 2);
  return out;
}

}  // namespace

std::string NewRandomToken() {
  if (sodium_init() < 0) abort();  // no CSPRNG: never hand out guessable sessions
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  return Hex(bytes, sizeof bytes);
}

bool TokensEqual(const std::string& expected, const std::string& presented) {
  if (expected.empty() || expected.size() != presented.size()) return false;
  return sodium_memcmp(expected.data(), presented.data(), expected.size()) == 0;
}

std::string TokenDigest(const std::string& token) {
  unsigned char digest[32];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(token.data()), token.size(),
                     nullptr, 0);
  return Hex(digest, sizeof digest);
}

}  // namespace mailtee::admin
