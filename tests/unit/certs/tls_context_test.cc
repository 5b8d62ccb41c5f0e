// certs/: self-signed generation, server/client contexts, error messages.
#include "certs/tls_context.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace mailtee::certs {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

class TlsContextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mailtee-certs-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }
  std::string dir_;
};

TEST_F(TlsContextTest, SelfSignedIsGeneratedOnceWithPrivateKeyMode) {
  std::string cert, key;
  Status s = EnsureSelfSignedCertificate(dir_ + "/storage", &cert, &key);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(cert, dir_ + "/storage/tls/cert.pem");
  EXPECT_EQ(key, dir_ + "/storage/tls/key.pem");
  struct stat st;
  ASSERT_EQ(stat(key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string first = ReadFile(cert);
  EXPECT_NE(first.find("BEGIN CERTIFICATE"), std::string::npos);

  std::string cert2, key2;
  ASSERT_TRUE(EnsureSelfSignedCertificate(dir_ + "/storage", &cert2, &key2).ok());
  EXPECT_EQ(ReadFile(cert2), first) << "an existing certificate must be reused";

  bssl::UniquePtr<SSL_CTX> ctx;
  s = MakeServerContext(cert, key, &ctx);
  EXPECT_TRUE(s.ok()) << s.message();
}

TEST_F(TlsContextTest, SelfSignedHasTheDocumentedNamesAndLifetime) {
  std::string cert, key;
  ASSERT_TRUE(EnsureSelfSignedCertificate(dir_, &cert, &key).ok());
  FILE* f = fopen(cert.c_str(), "rb");
  bssl::UniquePtr<X509> x(PEM_read_X509(f, nullptr, nullptr, nullptr));
  fclose(f);
  ASSERT_TRUE(x);
  // SAN: localhost, the host name, 127.0.0.1 and ::1.
  EXPECT_EQ(X509_check_host(x.get(), "localhost", 9, 0, nullptr), 1);
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  EXPECT_EQ(X509_check_host(x.get(), host, strlen(host), 0, nullptr), 1) << host;
  EXPECT_EQ(X509_check_ip_asc(x.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(x.get(), "::1", 0), 1);
  EXPECT_NE(X509_check_host(x.get(), "mail.example.org", 16, 0, nullptr), 1);
  int days = 0, secs = 0;
  ASSERT_TRUE(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x.get()), X509_get0_notAfter(x.get())));
  EXPECT_GE(days, 3650);
  bssl::UniquePtr<EVP_PKEY> pub(X509_get_pubkey(x.get()));
  EXPECT_EQ(EVP_PKEY_id(pub.get()), EVP_PKEY_EC);

  const std::string summary = CertificateSummary(cert);
  EXPECT_EQ(summary.rfind("subject ", 0), 0u) << summary;
  EXPECT_NE(summary.find("CN=" + std::string(host).substr(0, 64)), std::string::npos) << summary;
  EXPECT_NE(summary.find(", not after "), std::string::npos) << summary;
}

TEST_F(TlsContextTest, HalfAPairIsAnErrorNotSilentlyReplaced) {
  std::string cert, key;
  ASSERT_TRUE(EnsureSelfSignedCertificate(dir_, &cert, &key).ok());
  unlink(key.c_str());
  Status s = EnsureSelfSignedCertificate(dir_, &cert, &key);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("found only one of"), std::string::npos) << s.message();
}

TEST_F(TlsContextTest, MissingFilesAreNamed) {
  bssl::UniquePtr<SSL_CTX> ctx;
  Status s = MakeServerContext(dir_ + "/nope.pem", dir_ + "/key.pem", &ctx);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message().find("cannot open certificate " + dir_ + "/nope.pem"), 0u) << s.message();
}

TEST_F(TlsContextTest, GarbagePemNamesTheFileAndReason) {
  WriteFile(dir_ + "/cert.pem", "this is not a certificate\n");
  WriteFile(dir_ + "/key.pem", "nor a key\n");
  bssl::UniquePtr<SSL_CTX> ctx;
  Status s = MakeServerContext(dir_ + "/cert.pem", dir_ + "/key.pem", &ctx);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cannot load certificate chain " + dir_ + "/cert.pem: no start line"),
            std::string::npos)
      << s.message();
}

TEST_F(TlsContextTest, KeyFromAnotherPairIsAMismatch) {
  std::string cert_a, key_a, cert_b, key_b;
  ASSERT_TRUE(EnsureSelfSignedCertificate(dir_ + "/a", &cert_a, &key_a).ok());
  ASSERT_TRUE(EnsureSelfSignedCertificate(dir_ + "/b", &cert_b, &key_b).ok());
  bssl::UniquePtr<SSL_CTX> ctx;
  Status s = MakeServerContext(cert_a, key_b, &ctx);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("private key " + key_b + " does not match certificate " + cert_a),
            std::string::npos)
      << s.message();
}

TEST_F(TlsContextTest, ClientContextLoadsSystemBundleOrNamedFile) {
  bssl::UniquePtr<SSL_CTX> ctx;
  if (access(kSystemCaBundle, R_OK) == 0) {
    Status s = MakeClientContext(true, "", &ctx);
    EXPECT_TRUE(s.ok()) << s.message();
    EXPECT_EQ(SSL_CTX_get_verify_mode(ctx.get()), SSL_VERIFY_PEER);
  }
  Status s = MakeClientContext(true, dir_ + "/missing-ca.pem", &ctx);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message().find("cannot open CA bundle " + dir_ + "/missing-ca.pem"), 0u) << s.message();

  WriteFile(dir_ + "/bad-ca.pem", "garbage\n");
  s = MakeClientContext(true, dir_ + "/bad-ca.pem", &ctx);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cannot load CA bundle " + dir_ + "/bad-ca.pem"), std::string::npos)
      << s.message();

  ASSERT_TRUE(MakeClientContext(false, "", &ctx).ok());
  EXPECT_EQ(SSL_CTX_get_verify_mode(ctx.get()), SSL_VERIFY_NONE);
  EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx.get()), TLS1_2_VERSION);
}

TEST_F(TlsContextTest, SummaryOfUnreadableFileSaysWhy) {
  EXPECT_NE(CertificateSummary(dir_ + "/none.pem").find("cannot open " + dir_ + "/none.pem"),
            std::string::npos);
}

}  // namespace
}  // namespace mailtee::certs
