// MakeServerContext: PEM chain + key → SSL_CTX, with errors that name the file.
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <cstdio>
#include <memory>

#include "certs/cipher_policy.h"
#include "certs/ssl_error.h"
#include "certs/tls_context.h"

namespace mailtee::certs {

namespace {

// fopen first so a missing file reads "No such file or directory", not a PEM error.
Status CheckReadable(const std::string& what, const std::string& path) {
  if (path.empty()) return Status::Error(what + " file is not configured");
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return Status::PosixError("cannot open " + what + " " + path, errno);
  std::fclose(f);
  return Status::Ok();
}

}  // namespace

Status MakeServerContext(const std::string& cert_file, const std::string& key_file,
                         bssl::UniquePtr<SSL_CTX>* out) {
  if (Status s = CheckReadable("certificate", cert_file); !s.ok()) return s;
  if (Status s = CheckReadable("private key", key_file); !s.ok()) return s;

  ClearSslErrors();
  bssl::UniquePtr<SSL_CTX> ctx(SSL_CTX_new(TLS_method()));
  if (!ctx) return Status::Error("cannot create TLS context: " + TakeSslErrors());
  if (Status s = ApplyTlsPolicy(ctx.get(), TlsSide::kServer); !s.ok()) return s;
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE);

  if (!SSL_CTX_use_certificate_chain_file(ctx.get(), cert_file.c_str())) {
    return Status::Error("cannot load certificate chain " + cert_file + ": " + TakeSslErrors() +
                         " (expected PEM, leaf certificate first)");
  }
  if (!SSL_CTX_use_PrivateKey_file(ctx.get(), key_file.c_str(), SSL_FILETYPE_PEM)) {
    std::string reason = TakeSslErrors();
    if (reason.find("values mismatch") != std::string::npos ||
        reason.find("key type mismatch") != std::string::npos) {
      return Status::Error("private key " + key_file + " does not match certificate " +
                           cert_file + " (" + reason + ")");
    }
    return Status::Error("cannot load private key " + key_file + ": " + reason +
                         " (expected an unencrypted PEM key)");
  }
  if (!SSL_CTX_check_private_key(ctx.get())) {
    return Status::Error("private key " + key_file + " does not match certificate " + cert_file +
                         " (" + TakeSslErrors() + ")");
  }
  *out = std::move(ctx);
  return Status::Ok();
}

}  // namespace mailtee::certs
