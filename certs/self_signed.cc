// EnsureSelfSignedCertificate: on first start, make an EC P-256 key and a
// 10-year self-signed certificate so TLS listeners work out of the box.
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec_key.h>
#include <openssl/evp.h>
#include <openssl/mem.h>
#include <openssl/nid.h>
#include <openssl/obj.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "certs/ssl_error.h"
#include "certs/tls_context.h"

namespace mailtee::certs {

namespace {

constexpr long kTenYearsSeconds = 10L * 366 * 24 * 3600;

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

Status MakeDir(const std::string& dir, mode_t mode) {
  if (::mkdir(dir.c_str(), mode) == 0 || errno == EEXIST) return Status::Ok();
  return Status::PosixError("cannot create directory " + dir, errno);
}

Status FsyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return Status::PosixError("cannot open directory " + dir, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  return rc == 0 ? Status::Ok() : Status::PosixError("cannot fsync directory " + dir, err);
}

// temp file (with the final mode from the start) → write → fsync → rename.
Status WriteFileAtomically(const std::string& dir, const std::string& name,
                           const std::string& bytes, mode_t mode) {
  const std::string path = dir + "/" + name;
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Status::PosixError("cannot create " + tmp, errno);
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Status::PosixError("cannot write " + tmp, err);
    }
    done += static_cast<size_t>(n);
  }
  if (::fchmod(fd, mode) != 0 || ::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return Status::PosixError("cannot fsync " + tmp, err);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return Status::PosixError("cannot rename " + tmp + " to " + path, err);
  }
  return Status::Ok();
}

std::string LocalHostName() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (::gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

Status AddExtension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
  bssl::UniquePtr<X509_EXTENSION> ext(
      X509V3_EXT_nconf_nid(nullptr, ctx, nid, const_cast<char*>(value.c_str())));
  if (!ext || !X509_add_ext(cert, ext.get(), -1)) {
    return Status::Error("cannot add certificate extension " + value + ": " + TakeSslErrors());
  }
  return Status::Ok();
}

std::string BioToString(BIO* bio) {
  const uint8_t* data = nullptr;
  size_t len = 0;
  BIO_mem_contents(bio, &data, &len);
  return std::string(reinterpret_cast<const char*>(data), len);
}

// "IP:<canonical address>" for an IP literal, else "DNS:<lowercase name>".
std::string SanEntry(const std::string& name) {
  unsigned char bytes[16];
  char text[INET6_ADDRSTRLEN] = {};
  for (int family : {AF_INET, AF_INET6}) {
    if (::inet_pton(family, name.c_str(), bytes) == 1 && ::inet_ntop(family, bytes, text, sizeof(text))) {
      return std::string("IP:") + text;
    }
  }
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return "DNS:" + lower;
}

// The SAN entries of a PEM certificate file, in SanEntry's form; empty when unreadable.
std::set<std::string> SanEntriesOf(const std::string& cert_path) {
  std::set<std::string> out;
  FILE* f = std::fopen(cert_path.c_str(), "rb");
  if (f == nullptr) return out;
  bssl::UniquePtr<X509> x(PEM_read_X509(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  if (!x) return out;
  auto* names = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x.get(), NID_subject_alt_name, nullptr, nullptr));
  for (size_t i = 0; names && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(names, i);
    if (g->type == GEN_DNS) {
      const ASN1_STRING* d = g->d.dNSName;
      out.insert(SanEntry(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(d)), ASN1_STRING_length(d))));
    } else if (g->type == GEN_IPADD) {
      const ASN1_STRING* ip = g->d.iPAddress;
      char text[INET6_ADDRSTRLEN] = {};
      const int family = ASN1_STRING_length(ip) == 4 ? AF_INET : AF_INET6;
      if (::inet_ntop(family, ASN1_STRING_get0_data(ip), text, sizeof(text))) out.insert(std::string("IP:") + text);
    }
  }
  if (names) sk_GENERAL_NAME_pop_free(names, GENERAL_NAME_free);
  ClearSslErrors();
  return out;
}

Status GenerateKeyAndCertificate(const std::string& host, const std::vector<std::string>& names,
                                 std::string* key_pem, std::string* cert_pem) {
  bssl::UniquePtr<EC_KEY> ec(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
  if (!ec || !EC_KEY_generate_key(ec.get())) {
    return Status::Error("cannot generate EC P-256 key: " + TakeSslErrors());
  }
  bssl::UniquePtr<EVP_PKEY> key(EVP_PKEY_new());
  if (!key || !EVP_PKEY_assign_EC_KEY(key.get(), ec.release())) {
    return Status::Error("cannot wrap EC key: " + TakeSslErrors());
  }

  bssl::UniquePtr<X509> cert(X509_new());
  uint8_t serial_bytes[16];
  RAND_bytes(serial_bytes, sizeof(serial_bytes));
  serial_bytes[0] &= 0x7f;  // positive serial
  bssl::UniquePtr<BIGNUM> serial_bn(BN_bin2bn(serial_bytes, sizeof(serial_bytes), nullptr));
  bssl::UniquePtr<ASN1_INTEGER> serial(BN_to_ASN1_INTEGER(serial_bn.get(), nullptr));
  X509_NAME* name = X509_get_subject_name(cert.get());
  const std::string cn = host.substr(0, 64);  // CN is limited to 64 characters
  if (!cert || !serial || !X509_set_version(cert.get(), X509_VERSION_3) ||
      !X509_set_serialNumber(cert.get(), serial.get()) ||
      !X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) ||
      !X509_gmtime_adj(X509_getm_notAfter(cert.get()), kTenYearsSeconds) ||
      !X509_set_pubkey(cert.get(), key.get()) ||
      !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                  reinterpret_cast<const uint8_t*>(cn.c_str()), -1, -1, 0) ||
      !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                  reinterpret_cast<const uint8_t*>("mailtee self-signed"), -1,
                                  -1, 0) ||
      !X509_set_issuer_name(cert.get(), name)) {
    return Status::Error("cannot fill self-signed certificate: " + TakeSslErrors());
  }

  X509V3_CTX v3;
  X509V3_set_ctx(&v3, cert.get(), cert.get(), nullptr, nullptr, 0);
  std::string san;
  for (const std::string& name : names) san += (san.empty() ? "" : ",") + SanEntry(name);
  // CA:TRUE so clients can pin this very certificate as their trust anchor.
  for (auto [nid, value] : {std::pair<int, std::string>{NID_basic_constraints, "critical,CA:TRUE"},
                            {NID_key_usage, "critical,digitalSignature,keyCertSign"},
                            {NID_ext_key_usage, "serverAuth"},
                            {NID_subject_key_identifier, "hash"},
                            {NID_subject_alt_name, san}}) {
    if (Status s = AddExtension(cert.get(), &v3, nid, value); !s.ok()) return s;
  }
  if (!X509_sign(cert.get(), key.get(), EVP_sha256())) {
    return Status::Error("cannot sign self-signed certificate: " + TakeSslErrors());
  }

  bssl::UniquePtr<BIO> key_bio(BIO_new(BIO_s_mem()));
  bssl::UniquePtr<BIO> cert_bio(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) ||
      !PEM_write_bio_X509(cert_bio.get(), cert.get())) {
    return Status::Error("cannot encode key/certificate as PEM: " + TakeSslErrors());
  }
  *key_pem = BioToString(key_bio.get());
  *cert_pem = BioToString(cert_bio.get());
  return Status::Ok();
}

}  // namespace

std::vector<std::string> DefaultSelfSignedNames() {
  std::vector<std::string> names = {"localhost"};
  const std::string host = LocalHostName();
  if (host != "localhost") names.push_back(host);
  names.push_back("127.0.0.1");
  names.push_back("::1");
  return names;
}

Status EnsureSelfSignedCertificate(const std::string& storage_dir, std::string* cert_path,
                                   std::string* key_path) {
  return EnsureSelfSignedCertificate(storage_dir, DefaultSelfSignedNames(), cert_path, key_path, nullptr);
}

Status EnsureSelfSignedCertificate(const std::string& storage_dir, const std::vector<std::string>& names,
                                   std::string* cert_path, std::string* key_path, std::string* note) {
  const std::string dir = storage_dir + "/tls";
  *cert_path = dir + "/cert.pem";
  *key_path = dir + "/key.pem";
  if (note) note->clear();
  const bool have_cert = FileExists(*cert_path), have_key = FileExists(*key_path);
  if (have_cert != have_key) {
    return Status::Error("found only one of " + *cert_path + " and " + *key_path +
                         ": remove it to let mailtee generate a new self-signed pair, or "
                         "restore the missing file");
  }
  if (have_cert) {
    const std::set<std::string> present = SanEntriesOf(*cert_path);
    std::string missing;
    for (const std::string& name : names) {
      const std::string entry = SanEntry(name);
      if (!present.count(entry) && missing.find(entry) == std::string::npos) {
        missing += (missing.empty() ? "" : ", ") + entry;
      }
    }
    if (missing.empty()) return Status::Ok();
    // A client that trusted the old certificate must trust the new one again:
    // keep the old pair next to it so nothing is lost.
    for (const std::string* f : {cert_path, key_path}) {
      if (::rename(f->c_str(), (*f + ".old").c_str()) != 0) {
        return Status::PosixError("cannot rename " + *f + " to " + *f + ".old", errno);
      }
    }
    if (note) {
      *note = "the self-signed certificate lacked " + missing + ": made a new one (the old pair is kept as " +
              *cert_path + ".old and key.pem.old); clients that trusted the old one must trust the new one";
    }
  }

  if (Status s = MakeDir(storage_dir, 0750); !s.ok()) return s;
  if (Status s = MakeDir(dir, 0700); !s.ok()) return s;

  ClearSslErrors();
  std::string key_pem, cert_pem;
  if (Status s = GenerateKeyAndCertificate(LocalHostName(), names, &key_pem, &cert_pem); !s.ok()) {
    return s.WithContext("while generating the self-signed certificate in " + dir);
  }
  // Key first: a cert.pem without its key.pem is the state we refuse above.
  Status s = WriteFileAtomically(dir, "key.pem", key_pem, 0600);
  OPENSSL_cleanse(key_pem.data(), key_pem.size());
  if (!s.ok()) return s;
  if (s = WriteFileAtomically(dir, "cert.pem", cert_pem, 0644); !s.ok()) return s;
  return FsyncDir(dir);
}

}  // namespace mailtee::certs
