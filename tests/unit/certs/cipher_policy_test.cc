// certs/: the one cipher policy (issue 13 item 15, testssl "SWEET32").
// Every context mailtee makes — listeners, the admin console, provider and
// approval-relay legs — offers TLS 1.2 with ECDHE + AEAD suites and TLS 1.3
// only, in the server's order. Each test runs a real handshake between two
// SSL objects over an in-memory BIO pair: one side is mailtee's context, the
// other a peer restricted to what the test names.
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstdlib>
#include <string>

#include "certs/tls_context.h"

namespace mailtee::certs {
namespace {

// An RSA key and self-signed certificate in memory: static-RSA key exchange
// and the RSA 3DES suites need an RSA certificate (mailtee's own self-signed
// one is EC P-256, but an operator's CA-issued one is often RSA).
struct RsaIdentity {
  bssl::UniquePtr<EVP_PKEY> key;
  bssl::UniquePtr<X509> cert;
};

RsaIdentity MakeRsaIdentity() {
  RsaIdentity id;
  bssl::UniquePtr<RSA> rsa(RSA_new());
  bssl::UniquePtr<BIGNUM> e(BN_new());
  BN_set_word(e.get(), RSA_F4);
  EXPECT_TRUE(RSA_generate_key_ex(rsa.get(), 2048, e.get(), nullptr));
  id.key.reset(EVP_PKEY_new());
  EVP_PKEY_assign_RSA(id.key.get(), rsa.release());
  id.cert.reset(X509_new());
  X509_set_version(id.cert.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(id.cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(id.cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(id.cert.get()), 3600);
  X509_NAME* name = X509_get_subject_name(id.cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const uint8_t*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(id.cert.get(), name);
  X509_set_pubkey(id.cert.get(), id.key.get());
  EXPECT_TRUE(X509_sign(id.cert.get(), id.key.get(), EVP_sha256()));
  return id;
}

std::string WritePem(const std::string& path, const RsaIdentity& id, bool key) {
  bssl::UniquePtr<BIO> bio(BIO_new_file(path.c_str(), "w"));
  if (key) PEM_write_bio_PrivateKey(bio.get(), id.key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  else PEM_write_bio_X509(bio.get(), id.cert.get());
  return path;
}

struct Outcome {
  bool ok = false;
  std::string cipher;   // negotiated suite (OpenSSL name), "" on failure
  uint16_t version = 0;
};

// Drives both ends until both finish or neither makes progress.
Outcome Handshake(SSL_CTX* server_ctx, SSL_CTX* client_ctx) {
  bssl::UniquePtr<SSL> server(SSL_new(server_ctx));
  bssl::UniquePtr<SSL> client(SSL_new(client_ctx));
  BIO* server_bio = nullptr;
  BIO* client_bio = nullptr;
  BIO_new_bio_pair(&server_bio, 0, &client_bio, 0);
  SSL_set_bio(server.get(), server_bio, server_bio);
  SSL_set_bio(client.get(), client_bio, client_bio);
  SSL_set_accept_state(server.get());
  SSL_set_connect_state(client.get());
  bool server_done = false, client_done = false;
  for (int round = 0; round < 50 && !(server_done && client_done); ++round) {
    if (!client_done) {
      int rc = SSL_do_handshake(client.get());
      if (rc == 1) client_done = true;
      else if (SSL_get_error(client.get(), rc) != SSL_ERROR_WANT_READ) return {};
    }
    if (!server_done) {
      int rc = SSL_do_handshake(server.get());
      if (rc == 1) server_done = true;
      else if (SSL_get_error(server.get(), rc) != SSL_ERROR_WANT_READ) return {};
    }
  }
  if (!server_done || !client_done) return {};
  Outcome o;
  o.ok = true;
  o.cipher = SSL_CIPHER_get_name(SSL_get_current_cipher(server.get()));
  o.version = SSL_version(server.get());
  return o;
}

// A peer that offers only `ciphers` (TLS <= 1.2 names) up to `max_version`.
bssl::UniquePtr<SSL_CTX> RestrictedPeer(const char* ciphers, uint16_t max_version) {
  bssl::UniquePtr<SSL_CTX> ctx(SSL_CTX_new(TLS_method()));
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_VERSION);
  SSL_CTX_set_max_proto_version(ctx.get(), max_version);
  EXPECT_TRUE(SSL_CTX_set_strict_cipher_list(ctx.get(), ciphers)) << ciphers;
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  return ctx;
}

class CipherPolicyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { rsa_ = new RsaIdentity(MakeRsaIdentity()); }
  static void TearDownTestSuite() {
    delete rsa_;
    rsa_ = nullptr;
  }
  void SetUp() override {
    char tmpl[] = "/tmp/mailtee-cipher-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
    Status s = MakeServerContext(WritePem(dir_ + "/rsa.pem", *rsa_, false),
                                 WritePem(dir_ + "/rsa.key", *rsa_, true), &rsa_server_);
    ASSERT_TRUE(s.ok()) << s.message();
    std::string ec_cert, ec_key;
    ASSERT_TRUE(EnsureSelfSignedCertificate(dir_, &ec_cert, &ec_key).ok());
    ASSERT_TRUE(MakeServerContext(ec_cert, ec_key, &ec_server_).ok());
  }
  void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }

  // A peer server with an RSA certificate, for testing mailtee's client side.
  bssl::UniquePtr<SSL_CTX> RestrictedServer(const char* ciphers, uint16_t max_version) {
    bssl::UniquePtr<SSL_CTX> ctx = RestrictedPeer(ciphers, max_version);
    SSL_CTX_use_certificate(ctx.get(), rsa_->cert.get());
    SSL_CTX_use_PrivateKey(ctx.get(), rsa_->key.get());
    return ctx;
  }

  static RsaIdentity* rsa_;
  std::string dir_;
  bssl::UniquePtr<SSL_CTX> rsa_server_, ec_server_;
};
RsaIdentity* CipherPolicyTest::rsa_ = nullptr;

TEST_F(CipherPolicyTest, ListenerRefusesTripleDesStaticRsaAndCbcSha1) {
  for (const char* legacy : {"DES-CBC3-SHA",            // TLS_RSA_WITH_3DES_EDE_CBC_SHA (SWEET32)
                             "AES128-SHA",              // static RSA key exchange, CBC-SHA1
                             "AES256-GCM-SHA384",       // static RSA key exchange, even with AEAD
                             "ECDHE-RSA-AES128-SHA"}) { // forward secret but CBC-SHA1
    bssl::UniquePtr<SSL_CTX> client = RestrictedPeer(legacy, TLS1_2_VERSION);
    EXPECT_FALSE(Handshake(rsa_server_.get(), client.get()).ok) << legacy << " was accepted";
  }
  bssl::UniquePtr<SSL_CTX> ecdsa_cbc = RestrictedPeer("ECDHE-ECDSA-AES128-SHA", TLS1_2_VERSION);
  EXPECT_FALSE(Handshake(ec_server_.get(), ecdsa_cbc.get()).ok);
}

TEST_F(CipherPolicyTest, ListenerRefusesTls11) {
  bssl::UniquePtr<SSL_CTX> client = RestrictedPeer("ALL", TLS1_1_VERSION);
  EXPECT_FALSE(Handshake(rsa_server_.get(), client.get()).ok);
}

TEST_F(CipherPolicyTest, ListenerAcceptsEcdheAeadOnTls12AndTls13) {
  bssl::UniquePtr<SSL_CTX> gcm = RestrictedPeer("ECDHE-RSA-AES128-GCM-SHA256", TLS1_2_VERSION);
  Outcome o = Handshake(rsa_server_.get(), gcm.get());
  ASSERT_TRUE(o.ok);
  EXPECT_EQ(o.cipher, "ECDHE-RSA-AES128-GCM-SHA256");
  EXPECT_EQ(o.version, TLS1_2_VERSION);

  bssl::UniquePtr<SSL_CTX> ecdsa = RestrictedPeer("ECDHE-ECDSA-CHACHA20-POLY1305", TLS1_2_VERSION);
  EXPECT_TRUE(Handshake(ec_server_.get(), ecdsa.get()).ok);

  bssl::UniquePtr<SSL_CTX> modern(SSL_CTX_new(TLS_method()));
  SSL_CTX_set_min_proto_version(modern.get(), TLS1_3_VERSION);
  SSL_CTX_set_max_proto_version(modern.get(), TLS1_3_VERSION);
  o = Handshake(rsa_server_.get(), modern.get());
  ASSERT_TRUE(o.ok);
  EXPECT_EQ(o.version, TLS1_3_VERSION);
}

TEST_F(CipherPolicyTest, ServerOrderWins) {
  EXPECT_NE(SSL_CTX_get_options(rsa_server_.get()) & SSL_OP_CIPHER_SERVER_PREFERENCE, 0u);
  // The client prefers ChaCha20 and AES-256; the server's first choice, AES-128-GCM, wins.
  bssl::UniquePtr<SSL_CTX> client = RestrictedPeer(
      "ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256", TLS1_2_VERSION);
  Outcome o = Handshake(rsa_server_.get(), client.get());
  ASSERT_TRUE(o.ok);
  EXPECT_EQ(o.cipher, "ECDHE-RSA-AES128-GCM-SHA256");
}

TEST_F(CipherPolicyTest, ProviderLegRefusesLegacyServersAndAcceptsModernOnes) {
  bssl::UniquePtr<SSL_CTX> upstream;
  ASSERT_TRUE(MakeClientContext(/*verify=*/false, "", &upstream).ok());
  for (const char* legacy : {"DES-CBC3-SHA", "AES128-SHA", "ECDHE-RSA-AES128-SHA"}) {
    bssl::UniquePtr<SSL_CTX> provider = RestrictedServer(legacy, TLS1_2_VERSION);
    EXPECT_FALSE(Handshake(provider.get(), upstream.get()).ok) << "provider offering only " << legacy;
  }
  bssl::UniquePtr<SSL_CTX> old_provider = RestrictedServer("ALL", TLS1_1_VERSION);
  EXPECT_FALSE(Handshake(old_provider.get(), upstream.get()).ok);

  bssl::UniquePtr<SSL_CTX> gcm_provider = RestrictedServer("ECDHE-RSA-AES256-GCM-SHA384", TLS1_2_VERSION);
  Outcome o = Handshake(gcm_provider.get(), upstream.get());
  ASSERT_TRUE(o.ok);
  EXPECT_EQ(o.cipher, "ECDHE-RSA-AES256-GCM-SHA384");
  bssl::UniquePtr<SSL_CTX> tls13_provider = RestrictedServer("ALL", TLS1_3_VERSION);
  o = Handshake(tls13_provider.get(), upstream.get());
  ASSERT_TRUE(o.ok);
  EXPECT_EQ(o.version, TLS1_3_VERSION);
}

}  // namespace
}  // namespace mailtee::certs
