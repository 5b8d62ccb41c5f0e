// ApplyTlsPolicy: see cipher_policy.h for what and why.
#include "certs/cipher_policy.h"

#include "certs/ssl_error.h"

namespace mailtee::certs {

Status ApplyTlsPolicy(SSL_CTX* ctx, TlsSide side) {
  if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
      !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION)) {
    return Status::Error("cannot set the TLS version range: " + TakeSslErrors());
  }
  // Strict: a name BoringSSL does not know is an error, not a silently shorter list.
  if (!SSL_CTX_set_strict_cipher_list(ctx, kTls12Ciphers)) {
    return Status::Error("cannot set the TLS cipher list: " + TakeSslErrors());
  }
  if (side == TlsSide::kServer) SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  return Status::Ok();
}

}  // namespace mailtee::certs
