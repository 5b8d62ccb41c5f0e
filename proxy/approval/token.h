// Approval tokens: the signed capability in an approval link or mail command.
//
//   token = base64url(payload) "." base64url(HMAC-SHA256(secret, payload))
//   payload = "v1" LF held-id LF approver LF action LF expiry-unix-seconds
//
// A token proves that mailtee issued it for this held message, this approver
// and this action until this time. Single use is enforced by the hold queue
// (HoldQueue::ConsumeToken), not here. The secret is 32 random bytes kept in
// the secret file (mode 0600), generated on first start.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "config/status.h"

namespace mailtee::approval {

enum class TokenAction { kApprove, kReject };
const char* ToString(TokenAction action);

struct TokenClaims {
  std::string held_id;
  std::string approver;
  TokenAction action = TokenAction::kApprove;
  int64_t expires_unix = 0;
};

class TokenSigner {
 public:
  // secret: at least 32 bytes.
  explicit TokenSigner(std::string secret);
  ~TokenSigner();

  std::string Issue(const TokenClaims& claims) const;

  // Checks the signature (constant time), the format and the expiry. The error
  // says why ("signature mismatch", "expired at ...") for the approval log.
  Status Verify(const std::string& token, std::chrono::system_clock::time_point now, TokenClaims* claims) const;

  // A short, non-secret fingerprint of a token for the used-token record and logs.
  static std::string Fingerprint(const std::string& token);

 private:
  std::string Mac(const std::string& payload) const;
  std::string secret_;
};

// Reads the secret file, or creates it (32 bytes from RAND_bytes, hex, mode 0600,
// O_EXCL, fsync'd with its folder) when it does not exist. A file readable by
// group/other or shorter than 32 bytes is an error.
Status LoadOrCreateSecret(const std::string& path, std::string* secret);

std::string Base64UrlEncode(const std::string& bytes);
bool Base64UrlDecode(const std::string& text, std::string* out);

}  // namespace mailtee::approval
