// Password hashing for admin accounts: libsodium's crypto_pwhash_str with
// Argon2id. The hash string carries its own salt and cost parameters, so a
// file written with one cost verifies under another build's defaults.
//
// Hashing is deliberately slow (~0.1 s, 64 MiB at the interactive cost): the
// server runs VerifyPassword on a libuv worker thread, never on the loop.
#pragma once

#include <string>

#include "config/status.h"

namespace mailtee::admin {

struct HashCost {
  unsigned long long ops;
  size_t mem_bytes;
  static HashCost Interactive();  // crypto_pwhash_*_INTERACTIVE: the default for accounts
  static HashCost Minimum();      // tests only: makes hashing fast
};

// Fails only if libsodium cannot initialise or allocate. Empty passwords are
// refused (an account must have one).
Status HashPassword(const std::string& password, const HashCost& cost, std::string* hash);

// Constant-time verify; false for a malformed hash.
bool VerifyPassword(const std::string& password, const std::string& hash);

// True for "$argon2id$..." strings (what the users file accepts).
bool LooksLikePasswordHash(const std::string& hash);

// Best-effort wipe of a secret held in a std::string (sodium_memzero).
void WipeString(std::string* secret);

}  // namespace mailtee::admin
