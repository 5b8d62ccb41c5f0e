// CertificateSummary: one log line about a certificate file.
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "certs/ssl_error.h"
#include "certs/tls_context.h"

namespace mailtee::certs {

std::string CertificateSummary(const std::string& cert_file) {
  FILE* f = std::fopen(cert_file.c_str(), "rb");
  if (!f) return "cannot open " + cert_file + ": " + std::strerror(errno);
  ClearSslErrors();
  bssl::UniquePtr<X509> cert(PEM_read_X509(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  if (!cert) return "cannot read certificate " + cert_file + ": " + TakeSslErrors();

  bssl::UniquePtr<BIO> bio(BIO_new(BIO_s_mem()));
  BIO_puts(bio.get(), "subject ");
  X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert.get()), 0, XN_FLAG_RFC2253);
  BIO_puts(bio.get(), ", not after ");
  ASN1_TIME_print(bio.get(), X509_get0_notAfter(cert.get()));
  const uint8_t* data = nullptr;
  size_t len = 0;
  BIO_mem_contents(bio.get(), &data, &len);
  return std::string(reinterpret_cast<const char*>(data), len);
}

}  // namespace mailtee::certs
