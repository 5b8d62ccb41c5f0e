#include "admin/auth/password_hash.h"

#include <sodium.h>

namespace mailtee::admin {
namespace {

bool SodiumReady() {
  static const bool ready = sodium_init() >= 0;  // thread-safe static init
  return ready;
}

}  // namespace

HashCost HashCost::Interactive() {
  return {crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE, crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE};
}

HashCost HashCost::Minimum() {
  return {crypto_pwhash_argon2id_OPSLIMIT_MIN, crypto_pwhash_argon2id_MEMLIMIT_MIN};
}

Status HashPassword(const std::string& password, const HashCost& cost, std::string* hash) {
  if (!SodiumReady()) return Status::Error("libsodium failed to initialise");
  if (password.empty()) return Status::Error("the password is empty");
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_argon2id_str(out, password.data(), password.size(), cost.ops, cost.mem_bytes) != 0) {
    return Status::Error("hashing the password failed (out of memory?)");
  }
  *hash = out;
  return Status::Ok();
}

bool VerifyPassword(const std::string& password, const std::string& hash) {
  if (!SodiumReady() || !LooksLikePasswordHash(hash)) return false;
  return crypto_pwhash_argon2id_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

bool LooksLikePasswordHash(const std::string& hash) {
  return hash.rfind("$argon2id$", 0) == 0 && hash.size() < crypto_pwhash_STRBYTES;
}

void WipeString(std::string* secret) {
  if (!secret->empty()) sodium_memzero(secret->data(), secret->size());
  secret->clear();
}

}  // namespace mailtee::admin
