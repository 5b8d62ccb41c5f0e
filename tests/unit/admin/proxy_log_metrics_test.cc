// /metrics counters from the proxies' SessionEvents: a real LogBook (files on
// disk) with the ProxyLogMetrics observer, fed the events proxy/smtp,
// proxy/pop3 and proxy/daemon record (with their lines as written today),
// then the /metrics text. Counters read the events, never the text.
#include "admin/proxy_log_metrics.h"

#include <uv.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "admin/api/api_context.h"
#include "admin/archive_size_probe.h"

namespace mailtee::admin {
namespace {

using archive::LogKind;
using archive::SessionEvent;
using Type = SessionEvent::Type;
using Cause = SessionEvent::Cause;

SessionEvent Event(const char* protocol, const char* listener, std::string source, LogKind kind, Type type,
                   std::string text, uint64_t bytes = 0, Cause cause = Cause::kNone) {
  SessionEvent e{.kind = kind, .type = type, .text = std::move(text), .bytes = bytes, .cause = cause};
  e.protocol = protocol;
  e.listener = listener;
  e.source = std::move(source);
  return e;
}
SessionEvent Smtp(int serial, LogKind kind, Type type, std::string text, uint64_t bytes = 0,
                  Cause cause = Cause::kNone) {
  return Event("smtp", "submission", "smtp/submission#" + std::to_string(serial), kind, type, std::move(text), bytes,
               cause);
}
SessionEvent Pop3(LogKind kind, Type type, std::string text, uint64_t bytes = 0, Cause cause = Cause::kNone) {
  return Event("pop3", "pop3s", "pop3 listener=pop3s client=192.0.2.5 user=suzuki", kind, type, std::move(text),
               bytes, cause);
}

class ProxyLogMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mailtee-logmetrics-XXXXXX";
    dir_ = mkdtemp(tmpl);
    log_ = std::make_unique<archive::LogBook>(dir_ + "/logs", 30, false);
    ASSERT_TRUE(log_->Open().ok());
    observer_ = log_->AddObserver(
        [this](LogKind k, std::string_view l, const SessionEvent* e) { counts_.Observe(k, l, e); });
  }
  void TearDown() override {
    log_->RemoveObserver(observer_);
    log_.reset();
    std::filesystem::remove_all(dir_);
  }
  uint64_t Value(const std::string& name, const MetricLabels& labels) {
    return metrics_.GetCounter(name, "", labels)->value();
  }
  // The rendered /metrics page, through the real route.
  std::string Scrape() {
    Router router;
    AdminSettings settings;
    ApiContext ctx;
    ctx.settings = &settings;
    ctx.services.metrics = &metrics_;
    AddMetricsRoutes(&router, &ctx);
    RouteMatch m = router.Find("GET", "/metrics");
    EXPECT_NE(m.route, nullptr);
    Request req;
    req.method = "GET";
    req.path = "/metrics";
    req.local_socket = true;
    req.peer_ip = "local";
    Response out;
    m.route->handler(req, [&](Response r) { out = std::move(r); });
    return out.body;
  }

  std::string dir_;
  Metrics metrics_;
  ProxyLogMetrics counts_{&metrics_};
  std::unique_ptr<archive::LogBook> log_;
  int observer_ = 0;
};

TEST_F(ProxyLogMetricsTest, SmtpSessionEventsBecomeCounters) {
  log_->Record(Smtp(1, LogKind::kConnections, Type::kAccepted,
                    "accept client=192.0.2.7:51234 listener=submission tls=starttls"));
  log_->Record(Smtp(1, LogKind::kConnections, Type::kAuthOk,
                    "auth client=192.0.2.7 user=tanaka mechanism=PLAIN result=ok"));
  log_->Record(Smtp(1, LogKind::kReceived, Type::kReceived,
                    "id=20261124T1-a client=192.0.2.7 user=tanaka from=<a@x.example> to=<b@y.example> size=1234",
                    1234));
  log_->Record(Smtp(1, LogKind::kRelayed, Type::kRelayed,
                    "id=20261124T1-a upstream=smtp.example:587 user=tanaka from=<a@x.example> to=<b@y.example> "
                    "reply=250 2.0.0 Ok: queued"));
  log_->Record(Smtp(1, LogKind::kReceived, Type::kReceived,
                    "id=20261124T1-b client=192.0.2.7 user=tanaka from=<a@x.example> to=<c@y.example> size=66", 66));
  log_->Record(Smtp(1, LogKind::kFailed, Type::kRefused,
                    "id=20261124T1-b upstream=smtp.example:587 user=tanaka from=<a@x.example> to=<c@y.example> "
                    "reply=554 5.7.1 Rejected"));
  log_->Record(Smtp(1, LogKind::kFailed, Type::kFailed,
                    "id=- client=192.0.2.7 from=<a@x.example> reply=552 5.3.4 too big (not relayed: message too big)"));
  SessionEvent quit = Smtp(1, LogKind::kConnections, Type::kEndedOk,
                           "ok client=192.0.2.7 tls=TLSv1.3 TLS_AES_128_GCM_SHA256 user=tanaka messages=1");
  quit.tls = true;
  log_->Record(quit);
  log_->Record(Smtp(2, LogKind::kConnections,
      Type::kAccepted, "accept client=192.0.2.8:4000 listener=submission tls=starttls"));
  log_->Record(Smtp(2, LogKind::kConnections, Type::kEndedAbort,
                    "abort client=192.0.2.8 reason=TLS handshake with 192.0.2.8 failed: WRONG_VERSION_NUMBER", 0,
                    Cause::kTlsHandshake));
  log_->Record(Smtp(3, LogKind::kConnections, Type::kEndedAbort, "abort client=198.51.100.1 reason=not in allow list",
                    0, Cause::kNotAllowed));
  log_->Record(archive::ListenerRefusal("smtp", "submission", "smtp/submission",
                                        "reject client=192.0.2.9 reason=too many connections from 192.0.2.9",
                                        Cause::kBusy));
  log_->Record(Smtp(4, LogKind::kSystem, Type::kError, "archive write failed: No space left on device"));
  log_->Record(Smtp(1, LogKind::kRelayed, Type::kHeld,
                    "id=20261124T1-c held for approval user=tanaka from=<a@x.example> to=<d@z.example> "
                    "reply=250 2.0.0 held for approval"));
  log_->Record(Smtp(5, LogKind::kConnections, Type::kEndedAbort,
                    "abort client=127.0.0.1 reason=421 4.4.1 provider 127.0.0.1:25872 unreachable: connect to "
                    "127.0.0.1:25872 failed: connection refused",
                    0, Cause::kProvider));

  const MetricLabels sub{{"listener", "submission"}, {"protocol", "smtp"}};
  auto with = [&](const char* k, const char* v) {
    MetricLabels l = sub;
    l.emplace_back(k, v);
    return l;
  };
  EXPECT_EQ(Value("mailtee_sessions_total", sub), 2u);
  EXPECT_EQ(Value("mailtee_auth_total", with("result", "ok")), 1u);
  EXPECT_EQ(Value("mailtee_messages_received_total", sub), 2u);
  EXPECT_EQ(Value("mailtee_message_bytes_total", sub), 1300u);
  EXPECT_EQ(Value("mailtee_messages_total", with("outcome", "relayed")), 1u);
  EXPECT_EQ(Value("mailtee_messages_total", with("outcome", "held")), 1u);
  EXPECT_EQ(Value("mailtee_messages_total", with("outcome", "refused")), 1u);
  EXPECT_EQ(Value("mailtee_messages_total", with("outcome", "failed")), 1u);
  EXPECT_EQ(Value("mailtee_sessions_ended_total", with("result", "ok")), 1u);
  EXPECT_EQ(Value("mailtee_sessions_ended_total", with("result", "abort")), 3u);
  EXPECT_EQ(Value("mailtee_upstream_failures_total", sub), 1u);
  EXPECT_EQ(Value("mailtee_tls_handshakes_total", with("result", "ok")), 1u);
  EXPECT_EQ(Value("mailtee_tls_handshakes_total", with("result", "failed")), 1u);
  EXPECT_EQ(Value("mailtee_connections_rejected_total", with("reason", "not_allowed")), 1u);
  EXPECT_EQ(Value("mailtee_connections_rejected_total", with("reason", "busy")), 1u);
  EXPECT_EQ(Value("mailtee_errors_total", sub), 3u);  // aborted transaction, archive write, provider unreachable
  EXPECT_EQ(Value("mailtee_log_lines_total", {{"kind", "connections"}}), 8u);

  // The lines are in the files too: observing does not replace writing.
  bool found = false;
  for (auto& e : std::filesystem::directory_iterator(dir_ + "/logs/relayed")) found = e.file_size() > 0;
  EXPECT_TRUE(found);
}

TEST_F(ProxyLogMetricsTest, Pop3AndNoProviderEvents) {
  log_->Record(Event("pop3", "pop3s", "pop3 listener=pop3s client=192.0.2.5 user=-", LogKind::kConnections,
                     Type::kAccepted, "accept"));
  log_->Record(Event("pop3", "pop3s", "pop3 listener=pop3s client=192.0.2.5 user=-", LogKind::kConnections,
                     Type::kTlsOk, "client TLS TLSv1.3 x"));
  log_->Record(Pop3(LogKind::kPop3, Type::kAuthOk, "login ok"));
  log_->Record(Pop3(LogKind::kPop3, Type::kArchived, "RETR 1 archived as 2026-x (4096 bytes)", 4096));
  log_->Record(Pop3(LogKind::kPop3, Type::kCommandRefused, "refused \"USER\": control character"));
  log_->Record(Pop3(LogKind::kFailed, Type::kFailed, "RETR 2 not archived: disk full"));
  log_->Record(Pop3(LogKind::kPop3, Type::kNote, "RETR 3"));
  log_->Record(Pop3(LogKind::kConnections, Type::kEndedOk, "ok reason=\"ok\" retrieved=1"));
  log_->Record(archive::ListenerRefusal("pop3", "pop3s", "pop3 listener=pop3s client=192.0.2.6",
                                        "rejected: too many connections", Cause::kBusy));
  log_->Record(Event("pop3", "pop3s", "pop3 listener=pop3s client=203.0.113.9 user=-", LogKind::kConnections,
                     Type::kEndedAbort, "abort reason=\"not in allow list\" retrieved=0", 0, Cause::kNotAllowed));
  log_->Record(archive::ListenerRefusal("", "lan", "listener=lan", "client=10.0.0.2 refused: no provider configured",
                                        Cause::kNoProvider));
  log_->Write(LogKind::kSystem, "ready: pop3s=127.0.0.1:995");  // not an error
  log_->Write(LogKind::kSystem, "admin: user=bob from=192.0.2.1 login failed");  // an audit line, not a fault

  const MetricLabels pop{{"listener", "pop3s"}, {"protocol", "pop3"}};
  auto with = [&](const char* k, const char* v) {
    MetricLabels l = pop;
    l.emplace_back(k, v);
    return l;
  };
  EXPECT_EQ(Value("mailtee_sessions_total", pop), 1u);
  EXPECT_EQ(Value("mailtee_tls_handshakes_total", with("result", "ok")), 1u);
  EXPECT_EQ(Value("mailtee_auth_total", with("result", "ok")), 1u);
  EXPECT_EQ(Value("mailtee_messages_total", with("outcome", "archived")), 1u);
  EXPECT_EQ(Value("mailtee_message_bytes_total", pop), 4096u);
  EXPECT_EQ(Value("mailtee_commands_refused_total", pop), 1u);
  EXPECT_EQ(Value("mailtee_messages_total", with("outcome", "failed")), 1u);
  EXPECT_EQ(Value("mailtee_errors_total", pop), 1u);
  EXPECT_EQ(Value("mailtee_sessions_ended_total", with("result", "ok")), 1u);
  EXPECT_EQ(Value("mailtee_connections_rejected_total", with("reason", "busy")), 1u);
  EXPECT_EQ(Value("mailtee_connections_rejected_total", with("reason", "not_allowed")), 1u);
  EXPECT_EQ(Value("mailtee_sessions_ended_total", with("result", "abort")), 1u);
  EXPECT_EQ(Value("mailtee_connections_rejected_total", {{"listener", "lan"}, {"reason", "no_provider"}}), 1u);
  EXPECT_EQ(Value("mailtee_errors_total", {}), 0u);
}

TEST_F(ProxyLogMetricsTest, MetricsPageRendersTheCounters) {
  log_->Record(Event("smtp", "sub", "smtp/sub#1", LogKind::kRelayed, Type::kRelayed,
                     "id=x upstream=u:587 user=a from=<a@b> to=<c@d> reply=250 ok"));
  log_->Write(LogKind::kSystem, "ARCHIVE COMMIT FAILED id=x after the provider answered 250: EIO");
  std::string page = Scrape();
  EXPECT_NE(page.find("# TYPE mailtee_messages_total counter\n"), std::string::npos) << page;
  EXPECT_NE(page.find("mailtee_messages_total{listener=\"sub\",protocol=\"smtp\",outcome=\"relayed\"} 1\n"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("mailtee_errors_total 1\n"), std::string::npos) << page;
  EXPECT_NE(page.find("mailtee_log_lines_total{kind=\"relayed\"} 1\n"), std::string::npos) << page;
  EXPECT_EQ(page.find("# HELP mailtee_messages_total \n"), std::string::npos) << "help text missing";
}

TEST_F(ProxyLogMetricsTest, ApprovalEventsAreCountedAndAReleaseIsRelayedOnItsListener) {
  approval::ApprovalLog approvals(dir_ + "/logs", 30, false);
  ASSERT_TRUE(approvals.Open().ok());
  const int id = approvals.AddObserver([this](const approval::ApprovalEvent& e) { counts_.ObserveApproval(e); });
  auto write = [&](const std::string& event) {
    approval::ApprovalEvent e;
    e.event = event;
    e.held_id = "20261124T100000Z-0123456789ab";
    e.listener = "submission";
    approvals.Write(e);
  };
  for (const char* event : {"held", "approve", "approve", "reject", "relayed", "relay-failed", "expire", "refused",
                            "something-new"}) {
    write(event);
  }
  approvals.RemoveObserver(id);
  write("held");  // after RemoveObserver: not counted

  EXPECT_EQ(Value("mailtee_approval_events_total", {{"event", "held"}}), 1u);
  EXPECT_EQ(Value("mailtee_approval_events_total", {{"event", "approve"}}), 2u);
  EXPECT_EQ(Value("mailtee_approval_events_total", {{"event", "relay-failed"}}), 1u);
  EXPECT_EQ(Value("mailtee_approval_events_total", {{"event", "other"}}), 1u);
  EXPECT_EQ(Value("mailtee_approval_events_total", {{"event", "something-new"}}), 0u);
  EXPECT_EQ(Value("mailtee_messages_total", {{"listener", "submission"}, {"protocol", "smtp"}, {"outcome", "relayed"}}),
            1u);
  const std::string page = Scrape();
  EXPECT_NE(page.find("mailtee_approval_events_total{event=\"expire\"} 1\n"), std::string::npos) << page;
  EXPECT_NE(page.find("mailtee_messages_total{listener=\"submission\",protocol=\"smtp\",outcome=\"relayed\"} 1\n"),
            std::string::npos)
      << page;
}

TEST_F(ProxyLogMetricsTest, RemovedObserverSeesNothing) {
  log_->RemoveObserver(observer_);
  log_->Write(LogKind::kRelayed, "smtp/sub#1 id=x upstream=u:587 user=a from=<a@b> to=<c@d> reply=250 ok");
  EXPECT_EQ(Value("mailtee_log_lines_total", {{"kind", "relayed"}}), 0u);
}

// Issue 13 item 14: the login is the client's to choose. A failed AUTH whose
// line contains " result=ok" (and an "accept" or "abort" in a plain line)
// moves no counter but its own: counters read the event, not the text.
TEST_F(ProxyLogMetricsTest, CountersNeverComeFromTheLineText) {
  log_->Record(Smtp(1, LogKind::kConnections, Type::kAuthFailed,
                    "auth client=192.0.2.7 user=x result=ok mechanism=PLAIN result=535 5.7.8 authentication failed"));
  log_->Write(LogKind::kConnections, "smtp/submission#1 accept client=192.0.2.7:1 listener=submission tls=none");
  log_->Write(LogKind::kConnections, "smtp/submission#1 auth client=192.0.2.7 user=x mechanism=PLAIN result=ok");
  log_->Write(LogKind::kFailed, "smtp/submission#1 id=- client=192.0.2.7 reply=552 x (not relayed: too big)");
  const MetricLabels sub{{"listener", "submission"}, {"protocol", "smtp"}};
  auto with = [&](const char* k, const char* v) {
    MetricLabels l = sub;
    l.emplace_back(k, v);
    return l;
  };
  EXPECT_EQ(Value("mailtee_auth_total", with("result", "failed")), 1u);
  EXPECT_EQ(Value("mailtee_auth_total", with("result", "ok")), 0u);
  EXPECT_EQ(Value("mailtee_sessions_total", sub), 0u);
  EXPECT_EQ(Value("mailtee_messages_total", with("outcome", "failed")), 0u);
  EXPECT_EQ(Value("mailtee_log_lines_total", {{"kind", "connections"}}), 3u);
}

TEST(MeasureArchiveTest, CountsBytesAndMessages) {
  char tmpl[] = "/tmp/mailtee-archsize-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  ArchiveSize size;
  ASSERT_TRUE(MeasureArchive(dir + "/archive", &size).ok());  // missing folder: empty archive
  EXPECT_EQ(size.bytes, 0u);
  std::filesystem::create_directories(dir + "/archive/tanaka/2026/11/24");
  auto put = [&](const std::string& name, size_t n) {
    FILE* f = fopen((dir + "/archive/tanaka/2026/11/24/" + name).c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::string bytes(n, 'x');
    fwrite(bytes.data(), 1, n, f);
    fclose(f);
  };
  put("a.eml", 100);
  put("a.report.xml", 20);
  put("b.eml", 3);
  ASSERT_TRUE(MeasureArchive(dir + "/archive", &size).ok());
  EXPECT_EQ(size.bytes, 123u);
  EXPECT_EQ(size.messages, 2u);
  std::filesystem::remove_all(dir);
}

TEST(ArchiveSizeProbeTest, SetsTheGaugesFromAWorkerThenStops) {
  char tmpl[] = "/tmp/mailtee-archprobe-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  std::filesystem::create_directories(dir + "/archive/u");
  FILE* f = fopen((dir + "/archive/u/m.eml").c_str(), "w");
  ASSERT_NE(f, nullptr);
  fputs("0123456789", f);
  fclose(f);
  uv_loop_t loop;
  uv_loop_init(&loop);
  Metrics metrics;
  {
    ArchiveSizeProbe probe(&loop, dir + "/archive", &metrics, 3600 * 1000);
    probe.Start();
    GaugeValue* scanned = metrics.GetGauge("mailtee_archive_scan_timestamp_seconds", "");
    for (int i = 0; i < 2000 && scanned->value() == 0; ++i) uv_run(&loop, UV_RUN_ONCE);
    EXPECT_GT(scanned->value(), 0);
    EXPECT_EQ(metrics.GetGauge("mailtee_archive_bytes", "")->value(), 10);
    EXPECT_EQ(metrics.GetGauge("mailtee_archive_messages", "")->value(), 1);
    probe.Stop();
  }
  uv_run(&loop, UV_RUN_DEFAULT);  // the timer's close: the loop then has nothing left
  EXPECT_EQ(uv_loop_close(&loop), 0);
  std::filesystem::remove_all(dir);
}

// The listener logs refusals rate-limited (net::RefusalLog): one line stands
// for itself and `more=N` others, and the counter must still count them all.
TEST_F(ProxyLogMetricsTest, RateLimitedRefusalLinesCountEveryRefusal) {
  log_->Record(archive::ListenerRefusal("smtp", "submission", "smtp/submission",
                                        "reject client=192.0.2.9 reason=too many connections (limit 200)",
                                        archive::SessionEvent::Cause::kBusy));
  log_->Record(archive::ListenerRefusal("smtp", "submission", "smtp/submission",
                                        "reject client=192.0.2.10 reason=too many connections (limit 200) more=41",
                                        archive::SessionEvent::Cause::kBusy, 41));
  log_->Record(archive::ListenerRefusal("pop3", "pop3s", "pop3 listener=pop3s client=-",
                                        "rejected: out of file descriptors (EMFILE); refused with a busy reply more=2",
                                        archive::SessionEvent::Cause::kBusy, 2));
  EXPECT_EQ(Value("mailtee_connections_rejected_total",
                  {{"listener", "submission"}, {"protocol", "smtp"}, {"reason", "busy"}}),
            43u);
  EXPECT_EQ(Value("mailtee_connections_rejected_total", {{"listener", "pop3s"}, {"protocol", "pop3"}, {"reason", "busy"}}),
            3u);
}

}  // namespace
}  // namespace mailtee::admin
