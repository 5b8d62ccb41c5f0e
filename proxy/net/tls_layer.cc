#include "proxy/net/tls_layer.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "certs/ssl_error.h"

namespace mailtee::net {

namespace {

bool IsIpLiteral(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

Status TlsLayer::Create(SSL_CTX* ctx, Role role, const std::string& sni_host, bool verify,
                        std::unique_ptr<TlsLayer>* out) {
  if (!ctx) return Status::Error("no TLS context configured");
  certs::ClearSslErrors();
  std::unique_ptr<TlsLayer> layer(new TlsLayer);
  layer->ssl_.reset(SSL_new(ctx));
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out_bio = BIO_new(BIO_s_mem());
  if (!layer->ssl_ || !in || !out_bio) {
    BIO_free(in);
    BIO_free(out_bio);
    return Status::Error("cannot create TLS session: " + certs::TakeSslErrors());
  }
  // An empty input BIO means "wait for more", not end of stream.
  BIO_set_mem_eof_return(in, -1);
  BIO_set_mem_eof_return(out_bio, -1);
  SSL_set_bio(layer->ssl_.get(), in, out_bio);
  layer->in_ = in;
  layer->out_ = out_bio;
  SSL* ssl = layer->ssl_.get();
  SSL_set_min_proto_version(ssl, TLS1_2_VERSION);

  if (role == Role::kServer) {
    SSL_set_accept_state(ssl);
  } else {
    SSL_set_connect_state(ssl);
    const bool ip = IsIpLiteral(sni_host);
    if (!sni_host.empty() && !ip && !SSL_set_tlsext_host_name(ssl, sni_host.c_str())) {
      return Status::Error("cannot set SNI " + sni_host + ": " + certs::TakeSslErrors());
    }
    if (verify) {
      SSL_set_verify(ssl, SSL_VERIFY_PEER, nullptr);
      if (!sni_host.empty()) {
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
        int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, sni_host.c_str())
                    : X509_VERIFY_PARAM_set1_host(param, sni_host.data(), sni_host.size());
        if (!ok) return Status::Error("cannot set expected peer name " + sni_host);
      }
    } else {
      SSL_set_verify(ssl, SSL_VERIFY_NONE, nullptr);
    }
  }
  *out = std::move(layer);
  return Status::Ok();
}

TlsLayer::~TlsLayer() = default;

std::string TlsLayer::ReasonFor(int ssl_result) {
  const int err = SSL_get_error(ssl_.get(), ssl_result);
  const long verify = SSL_get_verify_result(ssl_.get());
  std::string reason = certs::TakeSslErrors("");
  if (verify != X509_V_OK && (reason.empty() || reason.find("verify") != std::string::npos)) {
    return "certificate verify failed (" + std::string(X509_verify_cert_error_string(verify)) + ")";
  }
  if (!reason.empty()) return reason;
  if (err == SSL_ERROR_ZERO_RETURN) return "peer closed the TLS session";
  if (err == SSL_ERROR_SYSCALL) return "unexpected end of TLS stream";
  return "TLS error " + std::to_string(err);
}

Status TlsLayer::Handshake(bool* done) {
  *done = handshake_done_;
  if (handshake_done_) return Status::Ok();
  certs::ClearSslErrors();
  int rc = SSL_do_handshake(ssl_.get());
  if (rc == 1) {
    handshake_done_ = true;
    *done = true;
    return Status::Ok();
  }
  int err = SSL_get_error(ssl_.get(), rc);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return Status::Ok();
  return Status::Error(ReasonFor(rc));
}

void TlsLayer::FeedCiphertext(std::string_view bytes) {
  if (!bytes.empty()) BIO_write(in_, bytes.data(), static_cast<int>(bytes.size()));
}

size_t TlsLayer::buffered_ciphertext() const { return BIO_pending(in_); }

int TlsLayer::ReadPlaintext(char* buf, size_t capacity, Status* error) {
  certs::ClearSslErrors();
  int n = SSL_read(ssl_.get(), buf, static_cast<int>(capacity));
  if (n > 0) return n;
  int err = SSL_get_error(ssl_.get(), n);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return 0;
  if (err == SSL_ERROR_ZERO_RETURN) return -1;
  *error = Status::Error(ReasonFor(n));
  return -2;
}

Status TlsLayer::Encrypt(std::string_view bytes) {
  certs::ClearSslErrors();
  while (!bytes.empty()) {
    int chunk = static_cast<int>(std::min<size_t>(bytes.size(), 1 << 30));
    int n = SSL_write(ssl_.get(), bytes.data(), chunk);
    if (n <= 0) return Status::Error(ReasonFor(n));
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

void TlsLayer::Shutdown() {
  certs::ClearSslErrors();
  SSL_shutdown(ssl_.get());
  certs::ClearSslErrors();
}

bool TlsLayer::TakeCiphertext(std::string* out) {
  const uint8_t* data = nullptr;
  size_t len = 0;
  if (!BIO_mem_contents(out_, &data, &len) || len == 0) return false;
  out->append(reinterpret_cast<const char*>(data), len);
  BIO_reset(out_);
  return true;
}

size_t TlsLayer::pending_ciphertext() const { return BIO_pending(out_); }

std::string TlsLayer::Description() const {
  if (!handshake_done_) return "";
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl_.get());
  return std::string(SSL_get_version(ssl_.get())) + " " +
         (cipher ? SSL_CIPHER_standard_name(cipher) : "unknown-cipher");
}

}  // namespace mailtee::net
