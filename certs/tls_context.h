// TLS material: server contexts from PEM files, a self-signed certificate made on
// first start, and client contexts that trust the system CA bundle (BoringSSL's
// built-in default path does not exist on Debian, so it is loaded explicitly).
// All contexts follow the one policy in cipher_policy.h (TLS 1.2 ECDHE-AEAD
// and TLS 1.3, server order).
#pragma once

#include <openssl/ssl.h>

#include <string>
#include <vector>

#include "config/config.h"
#include "config/status.h"

namespace mailtee::certs {

// Debian's CA bundle, used when no ca_file is configured.
inline constexpr const char* kSystemCaBundle = "/etc/ssl/certs/ca-certificates.crt";

// Server context from a PEM certificate chain (leaf first) and a PEM private key.
// Errors name the file and BoringSSL's reason; a key that does not match the
// certificate is an error ("key /x/key.pem does not match certificate /x/cert.pem").
Status MakeServerContext(const std::string& cert_file, const std::string& key_file,
                         bssl::UniquePtr<SSL_CTX>* out);

// Ensures <storage_dir>/tls/cert.pem and <storage_dir>/tls/key.pem exist: on first
// start generates an EC P-256 key and a self-signed X.509 certificate valid for 10
// years, CN=<hostname>, SAN DNS:localhost, DNS:<hostname>, IP:127.0.0.1, IP:::1.
// Files are written atomically (temp + fsync + rename); the key has mode 0600.
// Existing files are reused as they are. Outputs the two paths.
Status EnsureSelfSignedCertificate(const std::string& storage_dir, std::string* cert_path,
                                   std::string* key_path);

// localhost, the host name, 127.0.0.1, ::1.
std::vector<std::string> DefaultSelfSignedNames();

// The names (DNS names or IP literals) the self-signed certificate of this
// config must carry, so clients connecting by any of them can verify it: the
// defaults, <tls><name>, and the bind address of every listener and of
// <admin>; a wildcard bind (0.0.0.0, ::) adds this machine's non-loopback
// interface addresses (IPv6 link-local ones excepted: they need a scope).
std::vector<std::string> SelfSignedNamesFor(const config::Config& config);

// The same, for these names: an existing pair is reused when its certificate
// carries every one; else it is kept as cert.pem.old / key.pem.old and a new
// pair is made, and *note (may be null) says so for the log ("" otherwise).
Status EnsureSelfSignedCertificate(const std::string& storage_dir, const std::vector<std::string>& names,
                                   std::string* cert_path, std::string* key_path, std::string* note);

// Client context for upstream connections. verify=true: peer chain is checked
// against ca_file (PEM bundle) or, when ca_file is empty, kSystemCaBundle; the
// host name is checked per connection by net::Stream::StartTlsClient.
// verify=false: no chain check (for providers with self-signed certs, by config).
Status MakeClientContext(bool verify, const std::string& ca_file, bssl::UniquePtr<SSL_CTX>* out);

// One line for logs: "subject CN=mail.example.org, not after 2036-11-24 16:00:00 UTC"
// or the reason the file could not be read.
std::string CertificateSummary(const std::string& cert_file);

}  // namespace mailtee::certs
