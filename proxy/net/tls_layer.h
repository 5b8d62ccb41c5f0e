// TlsLayer: one TLS session over two memory BIOs, with no socket of its own
// (after Node's TLSWrap). The transport feeds ciphertext it read with
// FeedCiphertext and sends whatever TakeCiphertext returns; the layer turns
// plaintext into ciphertext and back. Keeping it transport-free lets TcpStream
// stay a plain byte pump and lets tests drive a handshake in memory.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>

#include "config/status.h"

namespace mailtee::net {

class TlsLayer {
 public:
  enum class Role { kServer, kClient };

  // Client: sni_host is sent as SNI (unless it is an IP literal) and, when verify
  // is true, checked against the peer certificate (DNS name or IP address).
  // verify=false turns chain checking off for this connection.
  static Status Create(SSL_CTX* ctx, Role role, const std::string& sni_host, bool verify,
                       std::unique_ptr<TlsLayer>* out);
  ~TlsLayer();

  // Advances the handshake with the ciphertext fed so far. Returns an error with
  // a specific reason ("certificate verify failed (self signed certificate)").
  // *done becomes true once the handshake is complete.
  Status Handshake(bool* done);
  bool handshake_done() const { return handshake_done_; }

  void FeedCiphertext(std::string_view bytes);
  // Ciphertext not yet fed to SSL (bounded by what the transport fed).
  size_t buffered_ciphertext() const;

  // Decrypts one chunk (at most one TLS record's worth) into buf. Returns the byte
  // count, 0 when more ciphertext is needed, -1 when the peer sent close_notify;
  // on a protocol error returns -2 and sets *error.
  int ReadPlaintext(char* buf, size_t capacity, Status* error);

  // Encrypts all of bytes (records up to 16 KiB) into the ciphertext output.
  Status Encrypt(std::string_view bytes);

  // Queues close_notify.
  void Shutdown();

  // Appends pending ciphertext output to *out; returns false when there was none.
  bool TakeCiphertext(std::string* out);
  size_t pending_ciphertext() const;

  // "TLSv1.3 TLS_AES_128_GCM_SHA256" once the handshake is done.
  std::string Description() const;

 private:
  TlsLayer() = default;
  std::string ReasonFor(int ssl_result);

  bssl::UniquePtr<SSL> ssl_;
  BIO* in_ = nullptr;   // ciphertext from the peer (owned by ssl_)
  BIO* out_ = nullptr;  // ciphertext to the peer (owned by ssl_)
  bool handshake_done_ = false;
};

}  // namespace mailtee::net
