// SessionEvent: one thing a mail session or its listener reports — a
// connection refused, accepted or ended, a client TLS handshake, a login, a
// message's outcome, a refused command, an error. LogBook::Record writes it as
// one line of its log kind (Render) and hands the struct to its observers: the
// admin /metrics counters are read from these fields, never from the log text,
// which carries client-chosen words (a login may contain " result=ok").
//
//   archive::SessionEvent e{.kind = LogKind::kConnections, .type = SessionEvent::Type::kAuthFailed,
//                           .text = "auth client=... user=... result=535 ..."};
//   e.protocol = "smtp"; e.listener = "submission"; e.source = "smtp/submission#7";
//   log->Record(e);
//
// Both proxies (proxy/smtp, proxy/pop3) and the daemon's no-provider listener
// report through it; the line formats admins grep stay those of docs/smtp.md
// and docs/pop3.md.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "archive/log_book.h"

namespace mailtee::archive {

struct SessionEvent {
  enum class Type {
    kNote,            // a line no counter looks at (commands, "relaying to ...", transcripts)
    kRejected,        // the listener refused a connection (cause: kBusy or kNoProvider)
    kAccepted,        // a session started
    kTlsOk,           // a client TLS handshake completed (POP3 STLS)
    kAuthOk,
    kAuthFailed,
    kEndedOk,         // the client said QUIT (tls: it was on TLS)
    kEndedAbort,      // any other end (cause)
    kReceived,        // SMTP: a whole message came from the client (bytes)
    kRelayed,         // SMTP: the provider accepted the message
    kHeld,            // SMTP: held for approval
    kRefused,         // SMTP: the provider refused the message
    kFailed,          // a message mailtee did not relay or archive (local abort, archive failure)
    kUnknown,         // SMTP: no verdict after the end of data
    kArchived,        // POP3: a retrieval archived (bytes)
    kCommandRefused,  // a client command refused by mailtee (malformed, control characters)
    kError,           // an archive or system failure in this session
  };
  enum class Cause {
    kNone,
    kBusy,          // limits, shutting down
    kNotAllowed,    // client outside <allow>
    kNoProvider,    // listener without a provider
    kTlsHandshake,  // the client's TLS handshake failed or timed out
    kProvider,      // the provider was unreachable or stopped answering
  };

  LogKind kind = LogKind::kConnections;
  Type type = Type::kNote;
  std::string text;        // the line after source
  uint64_t bytes = 0;      // kReceived, kArchived
  uint64_t count = 1;      // kRejected: a rate-limited refusal line (net::RefusalLog) stands for this many
  Cause cause = Cause::kNone;
  bool tls = false;        // kEndedOk: the client was on TLS
  std::string protocol;    // "smtp", "pop3"; "" for a listener without a provider
  std::string listener;
  std::string source;      // how the line starts: "smtp/<listener>#<n>", "pop3 listener=<l> client=<ip> user=<u>"

  // The log line (without timestamp): source, a space, text.
  std::string Render() const { return source.empty() ? text : source + " " + text; }
};

// A connection a listener refused before any session started (limits, no
// provider): a kRejected event for the connections log. `more`: refusals
// folded into this line by the rate-limited refusal log.
inline SessionEvent ListenerRefusal(std::string protocol, std::string listener, std::string source,
                                    std::string text, SessionEvent::Cause cause, uint64_t more = 0) {
  SessionEvent e{.kind = LogKind::kConnections, .type = SessionEvent::Type::kRejected, .text = std::move(text),
                 .count = 1 + more, .cause = cause};
  e.protocol = std::move(protocol);
  e.listener = std::move(listener);
  e.source = std::move(source);
  return e;
}

}  // namespace mailtee::archive
