// Typed, validated mailtee configuration. Built from XML by config/loader.h;
// nothing here knows about sockets or files beyond their names.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mailtee::config {

enum class Protocol { kSmtp, kPop3 };
enum class TlsMode { kNone, kStartTls, kImplicit };   // starttls = STLS for POP3
// kNone: mailtee relays without authenticating upstream (providers that
// authorize by source IP, LAN relays); like kAccount it requires <allow>.
enum class AuthMode { kPassthrough, kAccount, kNone };
enum class BareNewline { kReject, kNormalize };

const char* ToString(Protocol p);
const char* ToString(TlsMode t);

// An IPv4 or IPv6 network in CIDR form ("192.168.0.0/16", "::1/128", "10.1.2.3").
struct Network {
  int family = 0;                 // AF_INET or AF_INET6
  uint8_t address[16] = {};       // network byte order; first 4 bytes for IPv4
  int prefix_length = 0;
  std::string text;               // as written in the config, for messages
  // addr: 4 bytes (IPv4) or 16 bytes (IPv6). IPv4-mapped IPv6 matches IPv4 networks.
  bool Contains(int addr_family, const uint8_t* addr) const;
  static std::optional<Network> Parse(const std::string& text);
  // True when the address has bits set past the prefix ("192.168.1.7/24"); the
  // network still matches by prefix, the loader warns.
  bool HasHostBits() const;
};

struct Upstream {
  std::string host;
  uint16_t port = 0;
  // The loader makes it kImplicit on 465/995; tls="none" must be written out.
  TlsMode tls = TlsMode::kStartTls;
  bool verify = true;             // certificate chain + host name
  std::string ca_file;            // empty: system store (/etc/ssl/certs/ca-certificates.crt)
  int line = 0;
};

struct Auth {
  AuthMode mode = AuthMode::kPassthrough;
  std::string user;               // account mode only
  std::string password;           // account mode only; never logged
  int line = 0;
};

// RFC 5321 §4.5.3.2 timeouts (seconds); POP3 uses idle_seconds (RFC 1939: >= 10 minutes).
struct Timeouts {
  int greeting = 300;             // upstream greeting / connect
  int command = 300;              // client idle between commands
  int data_block = 180;           // between DATA chunks
  int data_end = 600;             // waiting for the reply to the final dot
  int idle = 600;                 // POP3 idle
  // Slowloris bounds (docs/config.md, docs/net.md): arriving bytes do not
  // reset them. Milliseconds so tests can use short deadlines; the XML gives seconds.
  int64_t line_ms = 60'000;       // a command / SASL line must be complete this long after its first byte
  int64_t session_ms = 3'600'000; // whole-session ceiling
  int64_t min_data_rate = 1024;   // bytes/s, DATA/BDAT body and POP3 RETR/TOP (0: off)
};

struct Listener {
  std::string name;
  Protocol protocol = Protocol::kSmtp;
  std::string address = "127.0.0.1";
  uint16_t port = 0;
  TlsMode tls = TlsMode::kNone;
  BareNewline bare_newline = BareNewline::kReject;
  uint64_t max_message_bytes = 0;  // 0 = whatever the provider's SIZE says
  size_t max_recipients = 1000;    // SMTP: RCPTs per transaction; more get 452 4.5.3
  int max_connections_per_ip = 20;
  int max_connections = 200;       // live client connections of this listener (0 = unlimited)
  // require-tls="true": no mail transaction (SMTP MAIL) or login (POP3
  // USER/PASS/APOP/AUTH) before the client's STARTTLS/STLS. Needs tls="starttls".
  bool require_tls = false;
  std::optional<Upstream> upstream;  // absent only in the embedded default config
  Auth auth;
  std::vector<Network> allow;     // empty: every client may connect (passthrough auth only)
  Timeouts timeouts;
  int line = 0;
};

struct TlsFiles {
  std::string cert;               // PEM chain; relative paths resolve against the config file's folder
  std::string key;
  int line = 0;
};

struct LogSettings {
  int retention_days = 90;
  bool transcripts = false;       // opt-in detailed session transcripts (passwords masked)
};

// Archive retention: <retention days="N"/> (the default), <retention user="U"
// days="N"/> (per-user overrides, repeatable), <legal-hold user="U"/>
// (repeatable; never purged while held). 0 days = keep forever (the default).
struct UserRetention {
  std::string user;               // as written; matched case-insensitively
  int days = 0;
  int line = 0;
};
struct RetentionSettings {
  int default_days = 0;
  std::vector<UserRetention> users;
  std::vector<std::string> legal_hold_users;
  bool any() const { return default_days > 0 || !users.empty(); }
};

// <admin>: the HTTPS console + JSON API. Absent: console off (the local
// root-only socket <storage>/admin.sock still serves the CLI).
struct AdminConsole {
  bool enabled = true;
  std::string address = "127.0.0.1";
  uint16_t port = 8443;
  std::string users_file;         // empty: <storage>/admin-users.xml
  std::string public_url;         // origin browsers use; links in approval mails
  // GET /metrics without a login (Prometheus scrapers): from these networks
  // (metrics-allow="127.0.0.1/32,::1/128", the default), or with
  // "Authorization: Bearer <token>", the token read from metrics-token-file
  // (root-only file; empty: no token access).
  std::vector<Network> metrics_allow;   // filled with the loopback default when the attribute is absent
  std::string metrics_token_file;
  int line = 0;
};

// <daemon user="mailtee" group="...">: the account `mailtee run` becomes when
// started as root (proxy/daemon/privilege_drop.h). Under systemd the unit's
// User= decides and this is not used. Group empty: the user's primary group.
struct DaemonSettings {
  std::string user = "mailtee";
  std::string group;
  int line = 0;
};

struct Config {
  std::string source;             // file name (or "<embedded default>") for messages
  std::string storage_dir = "/var/lib/mailtee";
  int storage_line = 0;           // line of <storage>; 0 = not in the file (the default above)
  std::optional<TlsFiles> tls;    // absent: self-signed cert generated into storage_dir
  // <tls><name>mail.office.lan</name></tls> (no cert/key): names (DNS or IP)
  // the self-signed certificate carries besides localhost, the host name and
  // the listeners' addresses (certs::SelfSignedNamesFor).
  std::vector<std::string> self_signed_names;
  LogSettings logs;
  std::vector<Listener> listeners;
  std::optional<AdminConsole> admin;
  RetentionSettings retention;
  DaemonSettings daemon;
};

}  // namespace mailtee::config
