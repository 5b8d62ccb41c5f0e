// The one TLS policy for every context mailtee makes (listeners, the admin
// console, the provider and approval-relay legs): TLS 1.2 with ECDHE key
// exchange and AEAD ciphers, and TLS 1.3 (whose suites are all AEAD), in the
// server's order. No 3DES (SWEET32), no static-RSA key exchange (no forward
// secrecy), no CBC-SHA1. Mozilla's "intermediate" profile without its
// finite-field DHE suites, which BoringSSL does not implement.
#pragma once

#include <openssl/ssl.h>

#include "config/status.h"

namespace mailtee::certs {

// ECDSA before RSA (whichever certificate is loaded decides), AES-128-GCM first
// (hardware AES on every x86 server; ChaCha20 for peers without it).
inline constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

enum class TlsSide { kServer, kClient };

// Protocol range, cipher list and (servers) server cipher preference on ctx.
Status ApplyTlsPolicy(SSL_CTX* ctx, TlsSide side);

}  // namespace mailtee::certs
