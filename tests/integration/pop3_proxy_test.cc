// POP3 proxy end to end: a real Pop3Proxy on a libuv loop between a blocking
// test client and a scripted provider, with a real ArchiveStore behind a
// recording sink.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>

#include "tests/integration/fake_pop3_upstream.h"
#include "tests/integration/pop3_test_harness.h"

namespace mailtee::testing {
namespace {

std::string Message(const std::string& subject, const std::string& body) {
  return "From: bob@example.org\r\nTo: alice@example.org\r\nSubject: " + subject +
         "\r\nMessage-ID: <" + subject + "@example.org>\r\n\r\n" + body;
}

std::string BigBody(size_t bytes) {
  std::string body;
  for (int i = 0; body.size() < bytes; ++i) {
    body += (i % 50 == 0 ? ".dotted line " : "line ") + std::to_string(i) + " of a big message\r\n";
  }
  return body;
}

FakeMailbox ThreeMessages() {
  FakeMailbox mb;
  mb.messages.push_back(Message("one", "hello\r\n"));
  mb.messages.push_back(Message("two", ".starts with a dot\r\n..two dots\r\n.\r\nend\r\n"));
  mb.messages.push_back(Message("three", BigBody(5 << 20)));
  return mb;
}

void Login(Pop3TestClient& c) {
  c.Send("USER alice\r\n");
  ASSERT_EQ(c.ReadLine().substr(0, 3), "+OK");
  c.Send("PASS secret\r\n");
  ASSERT_EQ(c.ReadLine(), "+OK logged in\r\n");
}

TEST(Pop3Proxy, FetchesThreeMessagesAndArchivesExactBytes) {
  FakeMailbox mb = ThreeMessages();
  FakePop3Upstream upstream(mb, {});
  Pop3Harness h;
  h.Start(Pop3Harness::MakeListener(upstream.port()));
  Pop3TestClient c(h.port());
  ASSERT_EQ(c.ReadLine(), "+OK mailtee POP3 proxy ready <1896.697170952@fake.example>\r\n");  // APOP timestamp
  Login(c);
  c.Send("UIDL\r\n");
  EXPECT_EQ(c.ReadMultiLine(), "+OK\r\n1 uid-1\r\n2 uid-2\r\n3 uid-3\r\n.\r\n");
  for (int n = 1; n <= 3; ++n) {
    c.Send("RETR " + std::to_string(n) + "\r\n");
    std::string got = c.ReadMultiLine();
    std::string status = "+OK " + std::to_string(mb.messages[n - 1].size()) + " octets\r\n";
    EXPECT_EQ(got, status + FakePop3Upstream::Stuffed(mb.messages[n - 1])) << "client bytes == provider bytes";
  }
  c.Send("QUIT\r\n");
  EXPECT_EQ(c.ReadLine(), "+OK bye\r\n");
  ASSERT_TRUE(h.sink().WaitFor([](auto& e) { return e.size() == 3 && e[0].committed && e[1].committed && e[2].committed; }));
  auto entries = h.sink().entries();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(entries[i].bytes, mb.messages[i]) << "archive bytes == original, message " << i + 1;
    EXPECT_EQ(entries[i].context.user, "alice");
    EXPECT_EQ(entries[i].context.protocol, "pop3");
    EXPECT_EQ(entries[i].context.direction, archive::Direction::kReceived);
    EXPECT_EQ(entries[i].context.uidl, "uid-" + std::to_string(i + 1));
    EXPECT_EQ(entries[i].context.client_ip, "127.0.0.1");
    EXPECT_EQ(entries[i].context.upstream, "127.0.0.1:" + std::to_string(upstream.port()));
  }
  auto emls = h.ArchivedFiles(".eml");
  ASSERT_EQ(emls.size(), 3u);
  std::vector<std::string> stored;
  for (auto& p : emls) stored.push_back(Pop3Harness::ReadFile(p));
  for (auto& m : mb.messages) EXPECT_NE(std::find(stored.begin(), stored.end(), m), stored.end());
  std::string pop3_log = h.LogText("pop3");
  EXPECT_NE(pop3_log.find("RETR 3 archived"), std::string::npos) << pop3_log;
  EXPECT_EQ(pop3_log.find("secret"), std::string::npos) << "passwords never logged";
}

TEST(Pop3Proxy, PipelinedRetrsAndLocalErrorsKeepOrder) {
  FakeMailbox mb = ThreeMessages();
  mb.messages[2] = Message("three", "small\r\n");
  FakePop3Upstream upstream(mb, {});
  Pop3Harness h;
  h.Start(Pop3Harness::MakeListener(upstream.port()));
  Pop3TestClient c(h.port());
  c.ReadLine();
  Login(c);
  c.Send("RETR 1\r\nBOGUS\r\nRETR 2\r\nRETR 9\r\nRETR 3\r\nNOOP\r\n");
  EXPECT_EQ(c.ReadMultiLine(), "+OK " + std::to_string(mb.messages[0].size()) + " octets\r\n" +
                                   FakePop3Upstream::Stuffed(mb.messages[0]));
  EXPECT_EQ(c.ReadLine(), "-ERR unknown command\r\n");
  EXPECT_EQ(c.ReadMultiLine(), "+OK " + std::to_string(mb.messages[1].size()) + " octets\r\n" +
                                   FakePop3Upstream::Stuffed(mb.messages[1]));
  EXPECT_EQ(c.ReadLine(), "-ERR no such message or command\r\n") << "-ERR for a missing message is one line";
  EXPECT_EQ(c.ReadMultiLine(), "+OK " + std::to_string(mb.messages[2].size()) + " octets\r\n" +
                                   FakePop3Upstream::Stuffed(mb.messages[2]));
  EXPECT_EQ(c.ReadLine(), "+OK\r\n");
  ASSERT_TRUE(h.sink().WaitFor([](auto& e) { return e.size() == 3 && e[2].committed; }));
  EXPECT_FALSE(upstream.received("BOGUS")) << "unknown verbs are refused, not relayed";
  auto entries = h.sink().entries();
  EXPECT_EQ(entries.size(), 3u) << "the -ERR response archived nothing";
  for (int i = 0; i < 3; ++i) EXPECT_EQ(entries[i].bytes, mb.messages[i]);
}

TEST(Pop3Proxy, LoginRefusedBeforeTls) {
  FakePop3Upstream upstream(ThreeMessages(), {});
  for (auto [tls, address] : {std::pair{config::TlsMode::kStartTls, "127.0.0.1"},
                              std::pair{config::TlsMode::kNone, "0.0.0.0"}}) {
    Pop3Harness h;
    config::Listener l = Pop3Harness::MakeListener(upstream.port());
    l.tls = tls;
    l.address = address;
    h.Start(l);
    Pop3TestClient c(h.port());
    c.ReadLine();
    c.Send("USER alice\r\nPASS secret\r\nAPOP alice 0123456789abcdef\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n");
    for (int i = 0; i < 4; ++i) EXPECT_EQ(c.ReadLine(), "-ERR [AUTH] TLS required: issue STLS first\r\n");
    c.Send("QUIT\r\n");
    EXPECT_EQ(c.ReadLine(), "+OK bye\r\n");
  }
  for (const auto& line : upstream.commands()) {
    EXPECT_TRUE(line == "QUIT") << "reached the provider: " << line;
  }
}

TEST(Pop3Proxy, StlsInjectionIsDropped) {
  FakePop3Upstream upstream(ThreeMessages(), {});
  Pop3Harness h;
  config::Listener l = Pop3Harness::MakeListener(upstream.port());
  l.tls = config::TlsMode::kStartTls;
  h.Start(l);
  Pop3TestClient c(h.port());
  c.ReadLine();
  c.Send("STLS\r\nUSER evil\r\n");
  EXPECT_EQ(c.ReadLine(), "+OK begin TLS negotiation\r\n");
  ASSERT_TRUE(c.StartTls());
  c.Send("USER alice\r\n");
  EXPECT_EQ(c.ReadLine(), "+OK\r\n");
  c.Send("PASS secret\r\n");
  EXPECT_EQ(c.ReadLine(), "+OK logged in\r\n");
  c.Send("STAT\r\n");
  EXPECT_EQ(c.ReadLine().substr(0, 5), "+OK 3");
  EXPECT_FALSE(upstream.received("USER evil"));
  EXPECT_TRUE(upstream.received("USER alice"));
}

TEST(Pop3Proxy, CapaIsFilteredBeforeAndAfterTls) {
  FakePop3Upstream upstream(ThreeMessages(), {});
  Pop3Harness h;
  config::Listener l = Pop3Harness::MakeListener(upstream.port());
  l.tls = config::TlsMode::kStartTls;
  h.Start(l);
  Pop3TestClient c(h.port());
  c.ReadLine();
  c.Send("CAPA\r\n");
  EXPECT_EQ(c.ReadMultiLine(),
            "+OK Capability list follows\r\nTOP\r\nUIDL\r\nPIPELINING\r\nRESP-CODES\r\nSTLS\r\n"
            "IMPLEMENTATION mailtee\r\n.\r\n");
  c.Send("STLS\r\n");
  c.ReadLine();
  ASSERT_TRUE(c.StartTls());
  c.Send("CAPA\r\n");
  EXPECT_EQ(c.ReadMultiLine(),
            "+OK Capability list follows\r\nTOP\r\nUIDL\r\nUSER\r\nSASL PLAIN LOGIN\r\nPIPELINING\r\n"
            "RESP-CODES\r\nIMPLEMENTATION mailtee\r\n.\r\n");
  c.Send("STLS\r\n");
  EXPECT_EQ(c.ReadLine(), "-ERR already using TLS\r\n");
}

TEST(Pop3Proxy, ConnectionCutMidRetrArchivesNothing) {
  FakePop3Options opts;
  opts.cut_retr_of = 3;
  FakeMailbox mb = ThreeMessages();
  FakePop3Upstream upstream(mb, opts);
  Pop3Harness h;
  h.Start(Pop3Harness::MakeListener(upstream.port()));
  Pop3TestClient c(h.port());
  c.ReadLine();
  Login(c);
  c.Send("RETR 3\r\n");
  std::string got = c.ReadUntilClose();
  EXPECT_EQ(got.find("\r\n.\r\n"), std::string::npos) << "the client never sees an end";
  ASSERT_TRUE(h.sink().WaitFor([](auto& e) { return e.size() == 1 && e[0].aborted; }));
  EXPECT_FALSE(h.sink().entries()[0].committed);
  EXPECT_TRUE(h.ArchivedFiles(".eml").empty());
  EXPECT_NE(h.LogText("pop3").find("nothing archived"), std::string::npos);
}

TEST(Pop3Proxy, ClientGoneMidRetrArchivesNothing) {
  FakeMailbox mb;
  mb.messages.push_back(Message("huge", BigBody(20 << 20)));
  FakePop3Upstream upstream(mb, {});
  Pop3Harness h;
  h.Start(Pop3Harness::MakeListener(upstream.port()));
  {
    Pop3TestClient c(h.port());
    c.ReadLine();
    Login(c);
    c.Send("RETR 1\r\n");
    c.ReadLine();  // the status line; then hang up while the body streams
  }
  ASSERT_TRUE(h.sink().WaitFor([](auto& e) { return e.size() == 1 && e[0].aborted; }));
  EXPECT_FALSE(h.sink().entries()[0].committed);
  EXPECT_LT(h.sink().entries()[0].bytes.size(), mb.messages[0].size());
}

TEST(Pop3Proxy, RefetchIsSeenTwiceByTheSinkAndStoredOnce) {
  FakeMailbox mb = ThreeMessages();
  FakePop3Upstream upstream(mb, {});
  Pop3Harness h;
  h.Start(Pop3Harness::MakeListener(upstream.port()));
  for (int round = 0; round < 2; ++round) {
    Pop3TestClient c(h.port());
    c.ReadLine();
    Login(c);
    c.Send("RETR 1\r\n");
    c.ReadMultiLine();
    c.Send("QUIT\r\n");
    EXPECT_EQ(c.ReadLine(), "+OK bye\r\n");
    ASSERT_TRUE(h.sink().WaitFor([round](auto& e) {
      return static_cast<int>(e.size()) == round + 1 && e[round].committed;
    }));
  }
  EXPECT_EQ(h.sink().committed(), 2);
  EXPECT_EQ(h.ArchivedFiles(".eml").size(), 1u) << "the store dedupes per user";
}

TEST(Pop3Proxy, TopArchivedOnlyWhenWhole) {
  FakeMailbox mb;
  mb.messages.push_back(Message("top", "l1\r\nl2\r\nl3\r\n"));
  FakePop3Upstream upstream(mb, {});
  Pop3Harness h;
  h.Start(Pop3Harness::MakeListener(upstream.port()));
  Pop3TestClient c(h.port());
  c.ReadLine();
  Login(c);
  c.Send("TOP 1 0\r\n");
  c.ReadMultiLine();
  c.Send("TOP 1 2\r\n");
  c.ReadMultiLine();
  c.Send("TOP 1 10\r\n");
  EXPECT_EQ(c.ReadMultiLine(), "+OK top of message follows\r\n" + FakePop3Upstream::Stuffed(mb.messages[0]));
  c.Send("QUIT\r\n");
  c.ReadLine();
  ASSERT_TRUE(h.sink().WaitFor([](auto& e) { return e.size() == 1 && e[0].committed; }));
  EXPECT_EQ(h.sink().entries()[0].bytes, mb.messages[0]);
}

TEST(Pop3Proxy, AuthPlainLoginBecomesTheArchiveUser) {
  FakeMailbox mb = ThreeMessages();
  mb.messages.resize(1);
  FakePop3Upstream upstream(mb, {});
  Pop3Harness h;
  h.Start(Pop3Harness::MakeListener(upstream.port()));
  Pop3TestClient c(h.port());
  c.ReadLine();
  c.Send("AUTH PLAIN\r\n");
  EXPECT_EQ(c.ReadLine(), "+ \r\n");
  c.Send("AGFsaWNlAHNlY3JldA==\r\nRETR 1\r\n");  // the RETR waits for AUTH's verdict
  EXPECT_EQ(c.ReadLine(), "+OK logged in\r\n");
  EXPECT_EQ(c.ReadMultiLine().substr(0, 3), "+OK");
  ASSERT_TRUE(h.sink().WaitFor([](auto& e) { return e.size() == 1 && e[0].committed; }));
  EXPECT_EQ(h.sink().entries()[0].context.user, "alice");
  EXPECT_EQ(h.LogText("pop3").find("AGFsaWNl"), std::string::npos) << "AUTH data never logged";
}

TEST(Pop3Proxy, UpstreamStlsAndImplicitTls) {
  Pop3Harness h;  // owns the test certificate
  FakeMailbox mb = ThreeMessages();
  mb.messages.resize(1);
  for (bool implicit : {false, true}) {
    FakePop3Options opts;
    opts.tls = h.server_tls();
    opts.implicit_tls = implicit;
    if (!implicit) opts.after_stls_plaintext = "-ERR injected\r\n";
    FakePop3Upstream upstream(mb, opts);
    Pop3Harness proxy;
    config::Listener l = Pop3Harness::MakeListener(upstream.port());
    l.upstream->tls = implicit ? config::TlsMode::kImplicit : config::TlsMode::kStartTls;
    proxy.Start(l);
    Pop3TestClient c(proxy.port());
    EXPECT_EQ(c.ReadLine(), "+OK mailtee POP3 proxy ready <1896.697170952@fake.example>\r\n");
    Login(c);
    c.Send("RETR 1\r\n");
    EXPECT_EQ(c.ReadMultiLine().substr(0, 3), "+OK");
    ASSERT_TRUE(proxy.sink().WaitFor([](auto& e) { return e.size() == 1 && e[0].committed; }));
    EXPECT_EQ(proxy.sink().entries()[0].bytes, mb.messages[0]);
  }
}

TEST(Pop3Proxy, UnreachableProviderIsReported) {
  uint16_t dead_port;
  { FakePop3Upstream gone(FakeMailbox{}, {}); dead_port = gone.port(); }
  Pop3Harness h;
  h.Start(Pop3Harness::MakeListener(dead_port));
  Pop3TestClient c(h.port());
  std::string line = c.ReadLine();
  EXPECT_EQ(line.rfind("-ERR [SYS/TEMP] provider 127.0.0.1:" + std::to_string(dead_port) + " unreachable: ", 0), 0u)
      << line;
}

TEST(Pop3Proxy, ImplicitTlsListener) {
  FakePop3Upstream upstream(ThreeMessages(), {});
  Pop3Harness h;
  config::Listener l = Pop3Harness::MakeListener(upstream.port());
  l.tls = config::TlsMode::kImplicit;
  h.Start(l);
  Pop3TestClient c(h.port());
  ASSERT_TRUE(c.StartTls());
  EXPECT_EQ(c.ReadLine().substr(0, 3), "+OK");
  Login(c);
  c.Send("STLS\r\n");
  EXPECT_EQ(c.ReadLine(), "-ERR already using TLS\r\n");
}

}  // namespace
}  // namespace mailtee::testing

namespace mailtee::testing {
namespace {

TEST(Pop3Proxy, FailedArchiveCommitWithholdsQuitSoNothingIsDeleted) {
  FakeMailbox mb = ThreeMessages();
  mb.messages.resize(1);
  FakePop3Upstream upstream(mb, {});
  Pop3Harness h;
  h.Start(Pop3Harness::MakeListener(upstream.port()));
  h.sink().FailCommits(true);
  Pop3TestClient c(h.port());
  c.ReadLine();
  Login(c);
  c.Send("RETR 1\r\nDELE 1\r\nQUIT\r\n");
  EXPECT_EQ(c.ReadMultiLine().substr(0, 3), "+OK");
  EXPECT_EQ(c.ReadLine(), "+OK deleted\r\n");
  EXPECT_EQ(c.ReadLine(),
            "-ERR [SYS/TEMP] archive copy failed; no message was deleted, try again later\r\n");
  EXPECT_EQ(c.ReadUntilClose(), "");
  EXPECT_FALSE(upstream.received("QUIT")) << "without QUIT the provider never enters UPDATE";
  EXPECT_NE(h.LogText("failed").find("RETR 1 not archived"), std::string::npos);
}

TEST(Pop3Proxy, IdleClientTimesOut) {
  FakePop3Upstream upstream(ThreeMessages(), {});
  Pop3Harness h;
  config::Listener l = Pop3Harness::MakeListener(upstream.port());
  l.timeouts.idle = 1;
  h.Start(l);
  Pop3TestClient c(h.port());
  c.ReadLine();
  EXPECT_EQ(c.ReadUntilClose(), "-ERR [SYS/TEMP] timeout\r\n");
}

TEST(Pop3Proxy, DrainEndsIdleSessions) {
  FakePop3Upstream upstream(ThreeMessages(), {});
  Pop3Harness h;
  h.Start(Pop3Harness::MakeListener(upstream.port()));
  Pop3TestClient c(h.port());
  c.ReadLine();
  EXPECT_EQ(h.SessionCount(), 1u);
  EXPECT_TRUE(h.Drain());
  EXPECT_EQ(c.ReadUntilClose(), "-ERR [SYS/TEMP] mailtee is shutting down\r\n");
  EXPECT_EQ(h.SessionCount(), 0u);
}

}  // namespace
}  // namespace mailtee::testing

namespace mailtee::testing {
namespace {

TEST(Pop3Proxy, OverThePerIpCapIsRefusedWithSysTemp) {
  FakePop3Upstream upstream(ThreeMessages(), {});
  Pop3Harness h;
  config::Listener l = Pop3Harness::MakeListener(upstream.port());
  l.max_connections_per_ip = 1;
  h.Start(l);
  Pop3TestClient first(h.port());
  EXPECT_EQ(first.ReadLine().substr(0, 3), "+OK");
  Pop3TestClient second(h.port());
  std::string refusal = second.ReadUntilClose();
  EXPECT_EQ(refusal.rfind("-ERR [SYS/TEMP] ", 0), 0u) << refusal;
  EXPECT_NE(h.LogText("connections").find("rejected"), std::string::npos);
}

}  // namespace
}  // namespace mailtee::testing

namespace mailtee::testing {
namespace {

TEST(Pop3Proxy, SlowClientPausesTheProviderAndStillGetsEveryByte) {
  FakeMailbox mb;
  mb.messages.push_back(Message("big", BigBody(24 << 20)));
  FakePop3Upstream upstream(mb, {});
  Pop3Harness h;
  h.Start(Pop3Harness::MakeListener(upstream.port()));
  Pop3TestClient c(h.port());
  c.ReadLine();
  Login(c);
  uint64_t before = upstream.bytes_sent();
  c.Send("RETR 1\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // the client reads nothing
  uint64_t sent_while_stalled = upstream.bytes_sent() - before;
  // 1 MiB high watermark + kernel socket buffers on both legs; far below 24 MiB.
  EXPECT_LT(sent_while_stalled, 16u << 20) << "the proxy kept reading a client that did not";
  std::string got = c.ReadMultiLine();
  EXPECT_EQ(got, "+OK " + std::to_string(mb.messages[0].size()) + " octets\r\n" +
                     FakePop3Upstream::Stuffed(mb.messages[0]));
  ASSERT_TRUE(h.sink().WaitFor([](auto& e) { return e.size() == 1 && e[0].committed; }, std::chrono::seconds(30)));
  EXPECT_EQ(h.sink().entries()[0].bytes, mb.messages[0]);
}

}  // namespace
}  // namespace mailtee::testing

namespace mailtee::testing {
namespace {

TEST(Pop3Proxy, ApopWorksWithTheProviderTimestampInMailteesGreeting) {
  FakeMailbox mb = ThreeMessages();
  mb.messages.resize(1);
  FakePop3Upstream upstream(mb, {});
  Pop3Harness h;
  h.Start(Pop3Harness::MakeListener(upstream.port()));
  Pop3TestClient c(h.port());
  std::string greeting = c.ReadLine();
  std::string stamp = greeting.substr(greeting.find('<'), greeting.find('>') - greeting.find('<') + 1);
  std::string hex = FakePop3Upstream::ApopDigest(stamp, "secret");
  c.Send("APOP alice " + hex + "\r\n");
  EXPECT_EQ(c.ReadLine(), "+OK maildrop locked\r\n");
  c.Send("RETR 1\r\n");
  c.ReadMultiLine();
  ASSERT_TRUE(h.sink().WaitFor([](auto& e) { return e.size() == 1 && e[0].committed; }));
  EXPECT_EQ(h.sink().entries()[0].context.user, "alice");
  EXPECT_EQ(h.LogText("pop3").find(hex), std::string::npos) << "the APOP digest is not logged";
}

TEST(Pop3Proxy, AuthLoginTakesTheUserFromTheFirstResponse) {
  FakeMailbox mb = ThreeMessages();
  mb.messages.resize(1);
  FakePop3Upstream upstream(mb, {});
  Pop3Harness h;
  h.Start(Pop3Harness::MakeListener(upstream.port()));
  Pop3TestClient c(h.port());
  c.ReadLine();
  c.Send("AUTH LOGIN\r\n");
  EXPECT_EQ(c.ReadLine(), "+ VXNlcm5hbWU6\r\n");
  c.Send("YWxpY2U=\r\n");  // alice
  EXPECT_EQ(c.ReadLine(), "+ UGFzc3dvcmQ6\r\n");
  c.Send("c2VjcmV0\r\n");  // secret
  EXPECT_EQ(c.ReadLine(), "+OK logged in\r\n");
  c.Send("RETR 1\r\n");
  c.ReadMultiLine();
  ASSERT_TRUE(h.sink().WaitFor([](auto& e) { return e.size() == 1 && e[0].committed; }));
  EXPECT_EQ(h.sink().entries()[0].context.user, "alice");
  EXPECT_EQ(h.LogText("pop3").find("c2VjcmV0"), std::string::npos);
}

TEST(Pop3Proxy, CancelledSaslExchangeGivesNoLogin) {
  FakePop3Upstream upstream(ThreeMessages(), {});
  Pop3Harness h;
  h.Start(Pop3Harness::MakeListener(upstream.port()));
  Pop3TestClient c(h.port());
  c.ReadLine();
  c.Send("AUTH LOGIN\r\n");
  EXPECT_EQ(c.ReadLine(), "+ VXNlcm5hbWU6\r\n");
  c.Send("*\r\n");
  EXPECT_EQ(c.ReadLine(), "-ERR cancelled\r\n");
  c.Send("STAT\r\n");  // back in command mode: relayed as a command
  EXPECT_EQ(c.ReadLine(), "-ERR not logged in\r\n");
}

}  // namespace
}  // namespace mailtee::testing

namespace mailtee::testing {
namespace {

TEST(Pop3Proxy, UidlIsLookedUpForClientsThatNeverAskIt) {
  FakeMailbox mb = ThreeMessages();
  FakePop3Upstream upstream(mb, {});
  Pop3Harness h;
  h.Start(Pop3Harness::MakeListener(upstream.port()));
  Pop3TestClient c(h.port());
  c.ReadLine();
  Login(c);
  c.Send("RETR 2\r\nNOOP\r\n");
  EXPECT_EQ(c.ReadMultiLine(), "+OK " + std::to_string(mb.messages[1].size()) + " octets\r\n" +
                                   FakePop3Upstream::Stuffed(mb.messages[1]))
      << "mailtee's own UIDL answer never reaches the client";
  EXPECT_EQ(c.ReadLine(), "+OK\r\n");
  c.Send("RETR 1\r\nRETR 3\r\n");
  c.ReadMultiLine();
  c.ReadMultiLine();
  ASSERT_TRUE(h.sink().WaitFor([](auto& e) {
    int n = 0;
    for (auto& x : e) n += x.committed;
    return n == 3;
  }));
  std::set<std::string> uidls;
  for (auto& entry : h.sink().entries()) uidls.insert(entry.context.uidl);
  EXPECT_EQ(uidls, (std::set<std::string>{"uid-1", "uid-2", "uid-3"}));
  // One listing for the whole session, asked before the first RETR; no
  // per-message lookups (each would cost a round trip to the provider).
  auto cmds = upstream.commands();
  EXPECT_EQ(std::count(cmds.begin(), cmds.end(), "UIDL"), 1);
  for (const auto& cmd : cmds) EXPECT_NE(cmd.rfind("UIDL ", 0), 0u) << cmd;
  auto uidl = std::find(cmds.begin(), cmds.end(), "UIDL");
  auto retr = std::find(cmds.begin(), cmds.end(), "RETR 2");
  ASSERT_NE(uidl, cmds.end());
  EXPECT_LT(uidl, retr);
}

TEST(Pop3Proxy, UidlLookupStillHappensAfterCapaListsUidl) {
  FakeMailbox mb = ThreeMessages();
  mb.messages.resize(1);
  FakePop3Upstream upstream(mb, {});
  Pop3Harness h;
  h.Start(Pop3Harness::MakeListener(upstream.port()));
  Pop3TestClient c(h.port());
  c.ReadLine();
  c.Send("CAPA\r\n");
  c.ReadMultiLine();
  Login(c);
  c.Send("RETR 1\r\n");
  c.ReadMultiLine();
  ASSERT_TRUE(h.sink().WaitFor([](auto& e) { return e.size() == 1 && e[0].committed; }));
  EXPECT_EQ(h.sink().entries()[0].context.uidl, "uid-1");
}

TEST(Pop3Proxy, NoUidlLookupWhenTheProviderLacksUidl) {
  FakeMailbox mb = ThreeMessages();
  mb.messages.resize(1);
  FakePop3Options opts;
  opts.capa = "TOP\r\nUSER\r\n";
  FakePop3Upstream upstream(mb, opts);
  Pop3Harness h;
  h.Start(Pop3Harness::MakeListener(upstream.port()));
  Pop3TestClient c(h.port());
  c.ReadLine();
  c.Send("CAPA\r\n");
  c.ReadMultiLine();
  Login(c);
  c.Send("RETR 1\r\n");
  c.ReadMultiLine();
  ASSERT_TRUE(h.sink().WaitFor([](auto& e) { return e.size() == 1 && e[0].committed; }));
  EXPECT_EQ(h.sink().entries()[0].context.uidl, "");
  EXPECT_FALSE(upstream.received("UIDL"));
}

}  // namespace
}  // namespace mailtee::testing
