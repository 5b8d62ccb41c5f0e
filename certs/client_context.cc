// MakeClientContext: upstream TLS with an explicit trust store. BoringSSL's
// built-in default (/etc/ssl/cert.pem) does not exist on Debian, so the bundle
// is always loaded by path.
#include <openssl/ssl.h>

#include <cerrno>
#include <cstdio>

#include "certs/cipher_policy.h"
#include "certs/ssl_error.h"
#include "certs/tls_context.h"

namespace mailtee::certs {

Status MakeClientContext(bool verify, const std::string& ca_file, bssl::UniquePtr<SSL_CTX>* out) {
  ClearSslErrors();
  bssl::UniquePtr<SSL_CTX> ctx(SSL_CTX_new(TLS_method()));
  if (!ctx) return Status::Error("cannot create TLS client context: " + TakeSslErrors());
  if (Status s = ApplyTlsPolicy(ctx.get(), TlsSide::kClient); !s.ok()) return s;
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE);

  if (verify) {
    const std::string bundle = ca_file.empty() ? kSystemCaBundle : ca_file;
    FILE* f = std::fopen(bundle.c_str(), "rb");
    if (!f) return Status::PosixError("cannot open CA bundle " + bundle, errno);
    std::fclose(f);
    if (!SSL_CTX_load_verify_locations(ctx.get(), bundle.c_str(), nullptr)) {
      return Status::Error("cannot load CA bundle " + bundle + ": " + TakeSslErrors() +
                           " (expected PEM certificates)");
    }
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  }
  *out = std::move(ctx);
  return Status::Ok();
}

}  // namespace mailtee::certs
