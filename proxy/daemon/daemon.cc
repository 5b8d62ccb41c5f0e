#include "proxy/daemon/daemon.h"

#include <openssl/ssl.h>

#include <memory>
#include <utility>

#include "certs/tls_context.h"
#include "proxy/daemon/no_provider_responder.h"
#include "proxy/daemon/session_owner.h"
#include "proxy/net/listener.h"
#include "proxy/net/listener_wiring.h"
#include "proxy/pop3/pop3_proxy.h"
#include "proxy/smtp/smtp_proxy.h"

namespace mailtee::daemon {

struct Daemon::TlsState {
  bssl::UniquePtr<SSL_CTX> server;
  std::string description;   // which certificate, for the start-up log
};

// Everything one listener needs while it runs. The proxies keep a pointer to
// `listener` (config), so Runtime objects never move (held by unique_ptr).
struct Daemon::Runtime {
  config::Listener listener;
  bssl::UniquePtr<SSL_CTX> upstream_tls;
  std::unique_ptr<SessionOwner> sessions;
  std::unique_ptr<net::TcpListener> tcp;
};

Daemon::Daemon(uv_loop_t* loop, config::Config config, archive::MessageSink* sink,
               archive::LogBook* log)
    : loop_(loop), config_(std::move(config)), sink_(sink), log_(log) {}

Daemon::~Daemon() = default;

Status Daemon::Start() {
  tls_ = std::make_unique<TlsState>();
  std::string cert, key;
  if (config_.tls) {
    cert = config_.tls->cert;
    key = config_.tls->key;
  } else {
    std::string renewed;  // the old one lacked a name clients now use
    Status s = certs::EnsureSelfSignedCertificate(config_.storage_dir, certs::SelfSignedNamesFor(config_), &cert,
                                                  &key, &renewed);
    if (!s.ok()) return s.WithContext("while preparing the self-signed TLS certificate");
    if (!renewed.empty()) log_->Write(archive::LogKind::kSystem, "NOTE: " + renewed);
    advice_.push_back("no <tls cert=... key=...> configured: using the self-signed certificate " +
                      cert + " (clients will warn until you configure a real one)");
  }
  Status s = certs::MakeServerContext(cert, key, &tls_->server);
  if (!s.ok()) return s.WithContext("while loading the server certificate");
  tls_->description = certs::CertificateSummary(cert);
  log_->Write(archive::LogKind::kSystem, "server certificate: " + tls_->description);

  for (const config::Listener& l : config_.listeners) {
    auto rt = std::make_unique<Runtime>();
    rt->listener = l;
    const config::Listener* lp = &rt->listener;
    if (!lp->upstream) {
      rt->sessions = std::make_unique<NoProviderResponder>(lp, tls_->server.get(), log_);
      advice_.push_back("listener '" + l.name + "' (" + config::ToString(l.protocol) + " on " +
                        l.address + ":" + std::to_string(l.port) +
                        ") has no provider: add <upstream host=\"...\" port=\"...\" tls=\"...\"/> "
                        "to it in your config (see config/example.xml); until then clients get an error");
    } else {
      s = certs::MakeClientContext(lp->upstream->verify, lp->upstream->ca_file, &rt->upstream_tls);
      if (!s.ok()) return s.WithContext("while preparing TLS to the provider of listener '" + l.name + "'");
      if (lp->protocol == config::Protocol::kSmtp) {
        smtp::ProxyEnvironment env{loop_, lp, tls_->server.get(), rt->upstream_tls.get(), sink_, log_,
                                  config_.logs.transcripts, hold_gate_};
        rt->sessions = std::make_unique<ProxyAdapter<smtp::SmtpProxy>>(env);
      } else {
        pop3::ProxyEnvironment env{loop_, lp, tls_->server.get(), rt->upstream_tls.get(), sink_, log_};
        rt->sessions = std::make_unique<ProxyAdapter<pop3::Pop3Proxy>>(env);
      }
    }
    SessionOwner* owner = rt->sessions.get();
    s = net::TcpListener::Listen(
        loop_, lp->address, lp->port, lp->max_connections_per_ip,
        [owner](std::unique_ptr<net::Stream> client) { owner->Accept(std::move(client)); }, &rt->tcp);
    if (!s.ok()) return s.WithContext("while opening listener '" + l.name + "'");
    net::WireRefusals(rt->tcp.get(), *lp, owner);
    log_->Write(archive::LogKind::kSystem,
                "listening: " + l.name + " " + config::ToString(l.protocol) + " on " +
                    rt->tcp->description() + " tls=" + config::ToString(l.tls) +
                    (lp->upstream ? " provider=" + lp->upstream->host + ":" +
                                        std::to_string(lp->upstream->port) + " tls=" +
                                        config::ToString(lp->upstream->tls)
                                  : std::string(" provider=<none>")));
    runtimes_.push_back(std::move(rt));
  }
  return Status::Ok();
}

void Daemon::Stop(std::function<void()> done) {
  // Count down: every listener socket closed and every proxy drained.
  auto remaining = std::make_shared<size_t>(runtimes_.size() * 2);
  auto finish = std::make_shared<std::function<void()>>(std::move(done));
  auto one_done = [remaining, finish] {
    if (--*remaining == 0 && *finish) (*finish)();
  };
  if (runtimes_.empty()) {
    if (*finish) (*finish)();
    return;
  }
  for (auto& rt : runtimes_) {
    rt->tcp->Close(one_done);
    rt->sessions->Drain(one_done);
  }
}

std::vector<SessionInfo> Daemon::sessions() const {
  std::vector<SessionInfo> out;
  for (const auto& rt : runtimes_) {
    if (!rt->sessions) continue;
    for (net::LiveSession& s : rt->sessions->live_sessions()) {
      out.push_back({rt->listener.name, config::ToString(rt->listener.protocol), std::move(s)});
    }
  }
  return out;
}

std::vector<ListenerInfo> Daemon::listeners() const {
  std::vector<ListenerInfo> out;
  for (const auto& rt : runtimes_) {
    ListenerInfo info;
    info.name = rt->listener.name;
    info.protocol = config::ToString(rt->listener.protocol);
    info.address = rt->listener.address;
    info.port = rt->tcp ? rt->tcp->port() : rt->listener.port;
    info.has_provider = rt->listener.upstream.has_value();
    info.sessions = rt->sessions ? rt->sessions->session_count() : 0;
    out.push_back(info);
  }
  return out;
}

}  // namespace mailtee::daemon
