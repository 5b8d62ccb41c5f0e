#include "admin/api/cert_expiry.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <ctime>

#include "certs/ssl_error.h"

namespace mailtee::admin {

Status ReadCertificateExpiry(const std::string& pem_file, CertificateExpiry* out) {
  certs::ClearSslErrors();
  bssl::UniquePtr<BIO> bio(BIO_new_file(pem_file.c_str(), "r"));
  if (!bio) return Status::Error("cannot read certificate " + pem_file + ": " + certs::TakeSslErrors());
  bssl::UniquePtr<X509> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return Status::Error("no certificate in " + pem_file + ": " + certs::TakeSslErrors());
  int days = 0, secs = 0;
  if (!ASN1_TIME_diff(&days, &secs, nullptr, X509_get0_notAfter(cert.get()))) {
    return Status::Error("unreadable notAfter in " + pem_file);
  }
  out->seconds_left = static_cast<int64_t>(days) * 86400 + secs;
  out->not_after_unix = static_cast<int64_t>(std::time(nullptr)) + out->seconds_left;
  char buf[512];
  X509_NAME_oneline(X509_get_subject_name(cert.get()), buf, sizeof buf);
  out->subject = buf;
  return Status::Ok();
}

}  // namespace mailtee::admin
