// The client is greeted by mailtee, never by the provider (issue 13 item 16):
// of the provider's greeting only a strictly valid APOP timestamp is passed on,
// for every provider leg (tls="none", STLS, implicit), and APOP keeps working.
#include <gtest/gtest.h>

#include <string>

#include "tests/integration/fake_pop3_upstream.h"
#include "tests/integration/pop3_test_harness.h"

namespace mailtee::testing {
namespace {

constexpr char kStamp[] = "<1896.697170952@fake.example>";
constexpr char kMessage[] = "Subject: apop\r\n\r\nhello\r\n";

// A plaintext provider that greets with `greeting`, behind the proxy.
struct GreetedBy {
  explicit GreetedBy(const std::string& greeting)
      : upstream(FakeMailbox{.messages = {kMessage}}, FakePop3Options{.greeting = greeting}) {
    proxy.Start(Pop3Harness::MakeListener(upstream.port()));
  }
  FakePop3Upstream upstream;
  Pop3Harness proxy;
};

TEST(Pop3Greeting, InjectedTextIsDroppedAndApopStillWorks) {
  Pop3Harness certs;  // owns the test certificate for the provider's TLS
  for (config::TlsMode leg : {config::TlsMode::kNone, config::TlsMode::kStartTls, config::TlsMode::kImplicit}) {
    SCOPED_TRACE(config::ToString(leg));
    FakePop3Options opts;
    opts.greeting = std::string("+OK [SYS/PERM] mailbox moved, sign in at http://evil.example/ ") + kStamp;
    opts.tls = leg == config::TlsMode::kNone ? nullptr : certs.server_tls();
    opts.implicit_tls = leg == config::TlsMode::kImplicit;
    FakePop3Upstream upstream(FakeMailbox{.messages = {kMessage}}, opts);
    Pop3Harness h;
    config::Listener l = Pop3Harness::MakeListener(upstream.port());
    l.upstream->tls = leg;
    h.Start(l);
    Pop3TestClient c(h.port());
    EXPECT_EQ(c.ReadLine(), std::string("+OK mailtee POP3 proxy ready ") + kStamp + "\r\n");
    c.Send("APOP alice " + FakePop3Upstream::ApopDigest(kStamp, "secret") + "\r\n");
    EXPECT_EQ(c.ReadLine(), "+OK maildrop locked\r\n");
    c.Send("RETR 1\r\nQUIT\r\n");
    EXPECT_EQ(c.ReadMultiLine().substr(0, 3), "+OK");
    EXPECT_EQ(c.ReadLine(), "+OK bye\r\n");
    ASSERT_TRUE(h.sink().WaitFor([](auto& e) { return e.size() == 1 && e[0].committed; }));
    EXPECT_EQ(h.sink().entries()[0].context.user, "alice");
  }
}

TEST(Pop3Greeting, AnInvalidTimestampIsNotPassedOn) {
  GreetedBy g("+OK ready <1896.697170952@fake.example\x1b[2J>");
  Pop3TestClient c(g.proxy.port());
  EXPECT_EQ(c.ReadLine(), "+OK mailtee POP3 proxy ready\r\n");
  c.Send("USER alice\r\nPASS secret\r\nQUIT\r\n");  // USER/PASS is unaffected
  EXPECT_EQ(c.ReadLine().substr(0, 3), "+OK");
  EXPECT_EQ(c.ReadLine(), "+OK logged in\r\n");
  EXPECT_EQ(c.ReadLine(), "+OK bye\r\n");
  g.proxy.Stop();
  EXPECT_NE(g.proxy.LogText("connections").find("APOP timestamp not passed on"), std::string::npos);
}

TEST(Pop3Greeting, AProviderErrGreetingIsNotRelayed) {
  GreetedBy g("-ERR [SYS/PERM] account suspended, pay at http://evil.example/");
  Pop3TestClient c(g.proxy.port());
  EXPECT_EQ(c.ReadUntilClose(), "-ERR [SYS/TEMP] provider 127.0.0.1:" + std::to_string(g.upstream.port()) +
                                    " refused the connection\r\n");
  g.proxy.Stop();
  // The admin still sees what the provider said.
  EXPECT_NE(g.proxy.LogText("connections").find("account suspended"), std::string::npos);
}

}  // namespace
}  // namespace mailtee::testing
