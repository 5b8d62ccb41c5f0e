// SMTP proxy end to end: real SmtpProxy + TcpListener + ArchiveStore against a
// scripted provider (FakeSmtpUpstream), with a blocking client.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <future>

#include "proxy/smtp/sasl.h"
#include "tests/integration/fake_smtp_upstream.h"
#include "tests/integration/smtp_proxy_fixture.h"
#include "tests/integration/smtp_test_harness.h"

namespace mailtee::smtp_testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string PlainAuth(const std::string& user, const std::string& pass) {
  std::string raw;
  raw += '\0';
  raw += user;
  raw += '\0';
  raw += pass;
  return "AUTH PLAIN " + smtp::Base64Encode(raw) + "\r\n";
}

// Greeting + EHLO + AUTH PLAIN as alice; returns the EHLO reply.
class SmtpRelayTest : public SmtpProxyFixture {};

TEST_F(SmtpRelayTest, RelaysMessageDotStuffedUpstreamUnstuffedInArchive) {
  StartWith({});
  SmtpTestClient c(harness_.port());
  ASSERT_TRUE(c.connected());
  LoginAsAlice(c);
  c.Send("MAIL FROM:<alice@example.org>\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  c.Send("RCPT TO:<bob@example.net>\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  c.Send("DATA\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("354 "));
  const std::string body = "From: alice@example.org\r\nTo: bob@example.net\r\nSubject: hi\r\n\r\n..leading dot\r\nline\r\n..\r\n";
  c.Send(body + ".\r\n");
  EXPECT_EQ(c.ReadReply(), "250 2.0.0 Ok: queued as FAKE1\r\n");
  c.Send("QUIT\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("221 "));

  auto msgs = upstream_->messages();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_TRUE(msgs[0].complete);
  EXPECT_EQ(msgs[0].data, body);  // the provider gets the client's (canonically stuffed) bytes
  EXPECT_EQ(msgs[0].from, "alice@example.org");
  auto recs = harness_.sink().records();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].bytes,
            "From: alice@example.org\r\nTo: bob@example.net\r\nSubject: hi\r\n\r\n.leading dot\r\nline\r\n.\r\n");
  EXPECT_EQ(recs[0].context.user, "alice@example.org");  // archived under the login
  EXPECT_EQ(recs[0].context.envelope_from, "alice@example.org");
  EXPECT_EQ(recs[0].context.upstream, "127.0.0.1:" + std::to_string(upstream_->port()));
  EXPECT_TRUE(recs[0].sealed);
  EXPECT_TRUE(recs[0].committed);
  EXPECT_EQ(recs[0].outcome.kind, archive::Outcome::Kind::kRelayed);
  EXPECT_EQ(recs[0].outcome.code, 250);
  EXPECT_THAT(harness_.LogText("relayed"), HasSubstr("reply=250 2.0.0 Ok: queued as FAKE1"));
  EXPECT_THAT(harness_.LogText("received"), HasSubstr("from=<alice@example.org> to=bob@example.net"));
  // Never a password in any log.
  for (const char* kind : {"connections", "received", "relayed", "failed", "system"})
    EXPECT_EQ(harness_.LogText(kind).find("secret"), std::string::npos) << kind;
}

TEST_F(SmtpRelayTest, SpoolSealedBeforeDotAndCommittedBeforeReply) {
  StartWith({});
  std::atomic<int> complete_at_seal{-1};
  harness_.sink().on_seal = [&] {
    int n = 0;
    for (const auto& m : upstream_->messages()) n += m.complete;
    complete_at_seal = n;
  };
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  c.Send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n");
  c.ReadReply();
  c.ReadReply();
  ASSERT_THAT(c.ReadReply(), StartsWith("354 "));
  c.Send("Subject: order\r\n\r\nx\r\n.\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  // The moment the client holds the 250, the verdict is already recorded.
  auto recs = harness_.sink().records();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_TRUE(recs[0].committed);
  EXPECT_EQ(complete_at_seal.load(), 0);  // the provider had no end of data when we sealed
}

TEST_F(SmtpRelayTest, SealFailureAbortsUpstreamAndTellsClientToRetry) {
  StartWith({});
  harness_.sink().fail_seal = true;
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  c.Send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n");
  c.ReadReply();
  c.ReadReply();
  ASSERT_THAT(c.ReadReply(), StartsWith("354 "));
  c.Send("Subject: disk full\r\n\r\nx\r\n.\r\n");
  EXPECT_EQ(c.ReadReply(), "452 4.3.1 archive storage unavailable, try again later\r\n");
  EXPECT_EQ(c.ReadReply(), "421 4.3.0 transaction aborted; please reconnect\r\n");
  ASSERT_TRUE(upstream_->WaitFor([&] { return upstream_->messages().size() == 1; }));
  EXPECT_FALSE(upstream_->messages()[0].complete);  // never relayed
  EXPECT_TRUE(harness_.sink().records()[0].aborted);
}

TEST_F(SmtpRelayTest, CommitFailureStillReturnsProviderReply) {
  StartWith({});
  harness_.sink().fail_commit = true;
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  c.Send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n");
  c.ReadReply();
  c.ReadReply();
  ASSERT_THAT(c.ReadReply(), StartsWith("354 "));
  c.Send("Subject: x\r\n\r\nx\r\n.\r\n");
  EXPECT_EQ(c.ReadReply(), "250 2.0.0 Ok: queued as FAKE1\r\n");  // relayed: resending would duplicate it
  auto recs = harness_.sink().records();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_FALSE(recs[0].aborted);  // the sealed spool is left for recovery
  EXPECT_THAT(harness_.LogText("system"), HasSubstr("ARCHIVE COMMIT FAILED id=msg1"));
}

TEST_F(SmtpRelayTest, ArchiveUnavailableRefusesDataWithoutRelaying) {
  StartWith({});
  harness_.sink().fail_begin = true;
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  c.Send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n");
  c.ReadReply();
  c.ReadReply();
  EXPECT_EQ(c.ReadReply(), "452 4.3.1 archive storage unavailable, try again later\r\n");
  for (const auto& cmd : upstream_->commands()) EXPECT_NE(cmd, "DATA");
}

TEST_F(SmtpRelayTest, EhloIsFiltered) {
  StartWith({});
  SmtpTestClient c(harness_.port());
  std::string ehlo = LoginAsAlice(c);
  EXPECT_THAT(ehlo, HasSubstr("250-PIPELINING\r\n"));
  EXPECT_THAT(ehlo, HasSubstr("SIZE 10485760"));
  EXPECT_THAT(ehlo, HasSubstr("AUTH PLAIN LOGIN CRAM-MD5"));
  EXPECT_EQ(ehlo.find("XOAUTH2"), std::string::npos);
  EXPECT_EQ(ehlo.find("XCLIENT"), std::string::npos);
  EXPECT_EQ(ehlo.find("ETRN"), std::string::npos);
  EXPECT_EQ(ehlo.find("STARTTLS"), std::string::npos);
  // The client's EHLO name reached the provider.
  auto cmds = upstream_->commands();
  EXPECT_NE(std::find(cmds.begin(), cmds.end(), "EHLO client.example"), cmds.end());
}

TEST_F(SmtpRelayTest, MailBeforeAuthIsRefusedLocally) {
  StartWith({});
  SmtpTestClient c(harness_.port());
  EXPECT_THAT(c.ReadReply(), StartsWith("220 "));
  c.Send("EHLO x\r\nMAIL FROM:<a@b.example>\r\n");
  c.ReadReply();
  EXPECT_EQ(c.ReadReply(), "530 5.7.0 authentication required\r\n");
  for (const auto& cmd : upstream_->commands()) EXPECT_EQ(cmd.rfind("MAIL", 0), std::string::npos);
}

TEST_F(SmtpRelayTest, AuthLoginRelayedAndFailureVerbatim) {
  StartWith({});
  SmtpTestClient c(harness_.port());
  EXPECT_THAT(c.ReadReply(), StartsWith("220 "));
  c.Send("EHLO x\r\n");
  c.ReadReply();
  c.Send("AUTH LOGIN\r\n");
  EXPECT_EQ(c.ReadReply(), "334 VXNlcm5hbWU6\r\n");
  c.Send(smtp::Base64Encode("alice@example.org") + "\r\n");
  EXPECT_EQ(c.ReadReply(), "334 UGFzc3dvcmQ6\r\n");
  c.Send(smtp::Base64Encode("wrong") + "\r\n");
  EXPECT_EQ(c.ReadReply(), "535 5.7.8 Error: authentication failed\r\n");
  c.Send("MAIL FROM:<alice@example.org>\r\n");
  EXPECT_EQ(c.ReadReply(), "530 5.7.0 authentication required\r\n");
  c.Send("AUTH LOGIN " + smtp::Base64Encode("alice@example.org") + "\r\n");
  EXPECT_EQ(c.ReadReply(), "334 UGFzc3dvcmQ6\r\n");
  c.Send(smtp::Base64Encode("secret") + "\r\n");
  EXPECT_EQ(c.ReadReply(), "235 2.7.0 Authentication successful\r\n");
  c.Send("MAIL FROM:<alice@example.org>\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  EXPECT_THAT(harness_.LogText("connections"), HasSubstr("user=alice@example.org mechanism=LOGIN result=ok"));
}

TEST_F(SmtpRelayTest, PipelinedGroupRepliesInOrder) {
  FakeSmtpUpstream::Options opts;
  opts.rejected_recipients = {"nobody@example.net"};
  StartWith(opts);
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  c.Send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nRCPT TO:<nobody@example.net>\r\n"
         "RCPT TO:<>\r\nRCPT TO:<carol@example.net>\r\nDATA\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 2.1.0"));
  EXPECT_THAT(c.ReadReply(), StartsWith("250 2.1.5"));
  EXPECT_THAT(c.ReadReply(), StartsWith("550 5.1.1 <nobody@example.net>"));
  EXPECT_EQ(c.ReadReply(), "501 5.1.3 null recipient address not allowed\r\n");  // local, still in order
  EXPECT_THAT(c.ReadReply(), StartsWith("250 2.1.5"));
  EXPECT_THAT(c.ReadReply(), StartsWith("354 "));
  c.Send("Subject: p\r\n\r\nbody\r\n.\r\nQUIT\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  EXPECT_THAT(c.ReadReply(), StartsWith("221 "));
  auto msgs = upstream_->messages();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].recipients, (std::vector<std::string>{"bob@example.net", "carol@example.net"}));
  auto recs = harness_.sink().records();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].context.envelope_to, (std::vector<std::string>{"bob@example.net", "carol@example.net"}));
}

TEST_F(SmtpRelayTest, ProviderRefusalPassedVerbatimAndRecorded) {
  FakeSmtpUpstream::Options opts;
  opts.data_reply = "554 5.7.1 message rejected: spam score too high";
  StartWith(opts);
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  c.Send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n");
  c.ReadReply();
  c.ReadReply();
  EXPECT_THAT(c.ReadReply(), StartsWith("354 "));
  c.Send("Subject: spam\r\n\r\nbuy\r\n.\r\n");
  EXPECT_EQ(c.ReadReply(), "554 5.7.1 message rejected: spam score too high\r\n");
  auto recs = harness_.sink().records();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_TRUE(recs[0].committed);
  EXPECT_EQ(recs[0].outcome.kind, archive::Outcome::Kind::kRefused);
  EXPECT_EQ(recs[0].outcome.code, 554);
  EXPECT_EQ(recs[0].outcome.reply, "554 5.7.1 message rejected: spam score too high");
  EXPECT_THAT(harness_.LogText("failed"), HasSubstr("user=alice@example.org from=<alice@example.org>"));
  EXPECT_THAT(harness_.LogText("failed"), HasSubstr("reply=554 5.7.1 message rejected"));
  // The session goes on.
  c.Send("NOOP\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
}

TEST_F(SmtpRelayTest, BareLfRejectedAndUpstreamTransactionAborted) {
  StartWith({});
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  c.Send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n");
  c.ReadReply();
  c.ReadReply();
  EXPECT_THAT(c.ReadReply(), StartsWith("354 "));
  c.Send("Subject: x\r\n\r\nline one\nline two\r\n.\r\n");
  EXPECT_EQ(c.ReadReply(), "550 5.6.11 bare LF/CR in message; use CRLF line endings\r\n");
  EXPECT_EQ(c.ReadReply(), "421 4.3.0 transaction aborted; please reconnect\r\n");
  EXPECT_EQ(c.ReadUntilClose(), "");
  ASSERT_TRUE(upstream_->WaitFor([&] { return upstream_->messages().size() == 1; }));
  EXPECT_FALSE(upstream_->messages()[0].complete);  // the provider never saw an end of data
  auto recs = harness_.sink().records();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_TRUE(recs[0].aborted);
  EXPECT_FALSE(recs[0].sealed);
}

TEST_F(SmtpRelayTest, SmugglingWithNormalizeNeverEndsDataUpstream) {
  StartWith({}, [](config::Listener& l) { l.bare_newline = config::BareNewline::kNormalize; });
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  c.Send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n");
  c.ReadReply();
  c.ReadReply();
  EXPECT_THAT(c.ReadReply(), StartsWith("354 "));
  c.Send("Subject: x\r\n\r\nhello\n.\nMAIL FROM:<evil@example.com>\r\nRCPT TO:<victim@example.net>\r\nDATA\r\n"
         "forged\r\n.\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  c.Send("QUIT\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("221 "));
  auto msgs = upstream_->messages();
  ASSERT_EQ(msgs.size(), 1u);  // one message, the smuggled commands are body text
  EXPECT_EQ(msgs[0].data,
            "Subject: x\r\n\r\nhello\r\n..\r\nMAIL FROM:<evil@example.com>\r\nRCPT TO:<victim@example.net>\r\nDATA\r\nforged\r\n");
  for (const auto& cmd : upstream_->commands()) EXPECT_EQ(cmd.find("evil"), std::string::npos);
  auto recs = harness_.sink().records();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].bytes,
            "Subject: x\r\n\r\nhello\r\n.\r\nMAIL FROM:<evil@example.com>\r\nRCPT TO:<victim@example.net>\r\nDATA\r\nforged\r\n");
}

TEST_F(SmtpRelayTest, UpstreamDownGives421) {
  // A port nobody listens on: bind, learn the port, close.
  uint16_t dead_port;
  {
    FakeSmtpUpstream tmp({});
    dead_port = tmp.port();
  }
  config::Listener l = SmtpHarness::MakeListener(dead_port);
  harness_.Start(l);
  SmtpTestClient c(harness_.port());
  std::string got = c.ReadUntilClose();
  EXPECT_THAT(got, StartsWith("421 4.4.1 provider 127.0.0.1:" + std::to_string(dead_port) + " unreachable: "));
}

TEST_F(SmtpRelayTest, StartTlsDiscardsInjectedPlaintext) {
  FakeSmtpUpstream::Options opts;
  StartWith(opts, [](config::Listener& l) { l.tls = config::TlsMode::kStartTls; });
  SmtpTestClient c(harness_.port());
  EXPECT_THAT(c.ReadReply(), StartsWith("220 "));
  c.Send("EHLO x\r\n");
  std::string ehlo = c.ReadReply();
  EXPECT_THAT(ehlo, HasSubstr("STARTTLS"));
  EXPECT_EQ(ehlo.find("AUTH"), std::string::npos);  // no AUTH before TLS
  c.Send(PlainAuth("alice@example.org", "secret"));
  EXPECT_EQ(c.ReadReply(), "538 5.7.11 encryption required for requested authentication mechanism\r\n");
  c.Send("STARTTLS\r\nNOOP injected\r\n");
  EXPECT_EQ(c.ReadReply(), "220 2.0.0 ready to start TLS\r\n");
  ASSERT_TRUE(c.StartTls());
  c.Send("EHLO x\r\n");
  ehlo = c.ReadReply();
  EXPECT_THAT(ehlo, HasSubstr("AUTH PLAIN LOGIN CRAM-MD5"));
  EXPECT_EQ(ehlo.find("STARTTLS"), std::string::npos);
  c.Send(PlainAuth("alice@example.org", "secret"));
  EXPECT_THAT(c.ReadReply(), StartsWith("235 "));
  c.Send("QUIT\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("221 "));
  for (const auto& cmd : upstream_->commands()) EXPECT_EQ(cmd.find("injected"), std::string::npos);
}

TEST_F(SmtpRelayTest, UpstreamStartTls) {
  FakeSmtpUpstream::Options opts;
  opts.starttls = harness_.server_tls();
  StartWith(opts, [](config::Listener& l) { l.upstream->tls = config::TlsMode::kStartTls; });
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  auto cmds = upstream_->commands();
  ASSERT_GE(cmds.size(), 3u);
  EXPECT_THAT(cmds[0], StartsWith("EHLO "));
  EXPECT_EQ(cmds[1], "STARTTLS");
  EXPECT_THAT(cmds[2], StartsWith("EHLO "));
}

TEST_F(SmtpRelayTest, UpstreamPlaintextAfterStartTlsReadyIsDiscarded) {
  FakeSmtpUpstream::Options opts;
  opts.starttls = harness_.server_tls();
  // A man in the middle appends a fake EHLO reply behind "220 Ready".
  opts.after_starttls_ready = "250-evil\r\n250 AUTH PLAIN\r\n";
  opts.ehlo_extensions = {"PIPELINING", "AUTH PLAIN LOGIN"};
  StartWith(opts, [](config::Listener& l) { l.upstream->tls = config::TlsMode::kStartTls; });
  SmtpTestClient c(harness_.port());
  std::string ehlo = LoginAsAlice(c);  // the session works: the injected reply was never taken as the EHLO reply
  EXPECT_THAT(ehlo, HasSubstr("AUTH PLAIN LOGIN"));
  c.Send("NOOP\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
}

TEST_F(SmtpRelayTest, AccountModeNeedsAllowListAndAuthenticatesItself) {
  StartWith({}, [](config::Listener& l) {
    l.auth.mode = config::AuthMode::kAccount;
    l.auth.user = "alice@example.org";
    l.auth.password = "secret";
    l.allow.push_back(*config::Network::Parse("127.0.0.0/8"));
  });
  SmtpTestClient c(harness_.port());
  EXPECT_THAT(c.ReadReply(), StartsWith("220 "));
  c.Send("EHLO scanner\r\n");
  EXPECT_EQ(c.ReadReply().find("AUTH"), std::string::npos);
  c.Send("MAIL FROM:<scanner@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  EXPECT_THAT(c.ReadReply(), StartsWith("354 "));
  c.Send("Subject: scan\r\n\r\nscan\r\n.\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  auto cmds = upstream_->commands();
  EXPECT_NE(std::find(cmds.begin(), cmds.end(), PlainAuth("alice@example.org", "secret").substr(0, PlainAuth("alice@example.org", "secret").size() - 2)), cmds.end());
  auto recs = harness_.sink().records();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].context.user, "");  // account mode: keyed by the envelope sender
  EXPECT_EQ(recs[0].context.envelope_from, "scanner@example.org");
}

TEST_F(SmtpRelayTest, AccountModeRefusesClientsOutsideAllowList) {
  StartWith({}, [](config::Listener& l) {
    l.auth.mode = config::AuthMode::kAccount;
    l.auth.user = "alice@example.org";
    l.auth.password = "secret";
    l.allow.push_back(*config::Network::Parse("192.0.2.0/24"));
  });
  SmtpTestClient c(harness_.port());
  EXPECT_EQ(c.ReadUntilClose(), "554 5.7.1 relay not permitted from 127.0.0.1\r\n");
}

// auth mode="none": for providers that authorize by the office's IP address
// and for LAN devices. mailtee never logs in, never advertises AUTH, and
// accepts MAIL only from allow-listed clients.
TEST_F(SmtpRelayTest, NoneModeRelaysWithoutAuthFromAnAllowedAddress) {
  StartWith({}, [](config::Listener& l) {
    l.auth.mode = config::AuthMode::kNone;
    l.allow.push_back(*config::Network::Parse("127.0.0.1/32"));
  });
  SmtpTestClient c(harness_.port());
  EXPECT_THAT(c.ReadReply(), StartsWith("220 "));
  c.Send("EHLO printer\r\n");
  std::string ehlo = c.ReadReply();
  EXPECT_THAT(ehlo, StartsWith("250"));
  EXPECT_EQ(ehlo.find("AUTH"), std::string::npos) << ehlo;
  c.Send(PlainAuth("alice@example.org", "secret"));
  EXPECT_THAT(c.ReadReply(), StartsWith("503 5.5.1 "));
  c.Send("MAIL FROM:<printer@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  EXPECT_THAT(c.ReadReply(), StartsWith("354 "));
  c.Send("Subject: scan\r\n\r\nscan\r\n.\r\n");
  EXPECT_EQ(c.ReadReply(), "250 2.0.0 Ok: queued as FAKE1\r\n");
  c.Send("QUIT\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("221 "));

  for (const std::string& cmd : upstream_->commands()) EXPECT_NE(cmd.rfind("AUTH", 0), 0u) << cmd;
  auto msgs = upstream_->messages();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_TRUE(msgs[0].complete);
  EXPECT_EQ(msgs[0].from, "printer@example.org");
  auto recs = harness_.sink().records();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].context.user, "");  // keyed by the envelope sender
  EXPECT_EQ(recs[0].context.envelope_from, "printer@example.org");
  EXPECT_EQ(recs[0].bytes, "Subject: scan\r\n\r\nscan\r\n");
}

TEST_F(SmtpRelayTest, NoneModeRefusesClientsOutsideAllowListAtConnect) {
  StartWith({}, [](config::Listener& l) {
    l.auth.mode = config::AuthMode::kNone;
    l.allow.push_back(*config::Network::Parse("192.0.2.0/24"));
  });
  SmtpTestClient c(harness_.port());
  EXPECT_EQ(c.ReadUntilClose(), "554 5.7.1 relay not permitted from 127.0.0.1\r\n");
  EXPECT_EQ(upstream_->connections(), 0);  // refused before the provider is contacted
}

TEST_F(SmtpRelayTest, NoneModeWithoutAllowListAdmitsNobody) {
  // The loader refuses this config; the session must not be an open relay either.
  StartWith({}, [](config::Listener& l) { l.auth.mode = config::AuthMode::kNone; });
  SmtpTestClient c(harness_.port());
  EXPECT_EQ(c.ReadUntilClose(), "554 5.7.1 relay not permitted from 127.0.0.1\r\n");
}

#if defined(__SANITIZE_ADDRESS__)
#define MAILTEE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MAILTEE_ASAN 1
#endif
#endif
#ifndef MAILTEE_ASAN
#define MAILTEE_ASAN 0
#endif

size_t ProcStatusKb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field, 0) == 0) return std::stoul(line.substr(strlen(field)));
  return 0;
}

TEST_F(SmtpRelayTest, FiveMegabyteMessageStreams) {
  FakeSmtpUpstream::Options opts;
  opts.record_data = false;
  StartWith(opts);
  harness_.sink().keep_bytes = false;
  { std::ofstream("/proc/self/clear_refs") << "5"; }  // reset the peak-RSS counter
  size_t rss_before_kb = ProcStatusKb("VmRSS:");
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  c.Send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n");
  c.ReadReply();
  c.ReadReply();
  ASSERT_THAT(c.ReadReply(), StartsWith("354 "));
  std::string line(998, 'x');
  line += "\r\n";
  uint64_t checksum = FakeSmtpUpstream::kChecksumSeed;
  uint64_t size = 0;
  std::string block;
  for (int i = 0; i < 64; ++i) block += line;
  for (int i = 0; i < 5 * 1024 * 1024 / static_cast<int>(block.size()) + 1; ++i) {
    c.Send(block);
    checksum = FakeSmtpUpstream::Checksum(checksum, block);
    size += block.size();
  }
  c.Send(".\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  auto msgs = upstream_->messages();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].size, size);
  EXPECT_EQ(msgs[0].checksum, checksum);
  auto recs = harness_.sink().records();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].size, size);
#if !MAILTEE_ASAN
  // Bounded buffers (256 KiB inbox, 1 MiB upstream watermark): the peak must
  // stay well below the message size.
  size_t peak_kb = ProcStatusKb("VmHWM:");
  EXPECT_LT(peak_kb - std::min(peak_kb, rss_before_kb), 4096u) << "peak RSS grew with the message size";
#else
  (void)rss_before_kb;
#endif
}

TEST_F(SmtpRelayTest, DrainClosesIdleClientsWith421) {
  StartWith({});
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  ASSERT_TRUE(harness_.Drain());
  EXPECT_EQ(c.ReadUntilClose().rfind("421 4.3.2 ", 0), 0u);
  EXPECT_EQ(harness_.SessionCount(), 0u);
}

TEST_F(SmtpRelayTest, DrainLetsTheTransactionInFlightFinish) {
  StartWith({});
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  c.Send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n");
  c.ReadReply();
  c.ReadReply();
  ASSERT_THAT(c.ReadReply(), StartsWith("354 "));
  std::promise<void> drained;
  auto fut = drained.get_future();
  harness_.RunOnLoop([&] {});
  std::thread drainer([&] {
    harness_.Drain();
    drained.set_value();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(fut.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  c.Send("Subject: last\r\n\r\nbye\r\n.\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  EXPECT_THAT(c.ReadReply(), StartsWith("421 4.3.2 "));
  drainer.join();
  EXPECT_EQ(harness_.sink().records().size(), 1u);
  EXPECT_TRUE(harness_.sink().records()[0].committed);
}

}  // namespace
}  // namespace mailtee::smtp_testing

namespace mailtee::smtp_testing {
namespace {

class SmtpEdgeTest : public SmtpRelayTest {};

TEST_F(SmtpEdgeTest, ClientVanishingMidDataNeverReleasesTheMessage) {
  StartWith({});
  {
    SmtpTestClient c(harness_.port());
    LoginAsAlice(c);
    c.Send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n");
    c.ReadReply();
    c.ReadReply();
    ASSERT_THAT(c.ReadReply(), StartsWith("354 "));
    c.Send("Subject: half\r\n\r\nhalf a mess");
  }  // connection dropped
  ASSERT_TRUE(upstream_->WaitFor([&] { return upstream_->messages().size() == 1; }));
  EXPECT_FALSE(upstream_->messages()[0].complete);
  ASSERT_TRUE(upstream_->WaitFor([&] {
    auto r = harness_.sink().records();
    return r.size() == 1 && r[0].aborted;
  }));
  EXPECT_FALSE(harness_.sink().records()[0].sealed);
}

TEST_F(SmtpEdgeTest, IdleClientTimesOut) {
  StartWith({}, [](config::Listener& l) { l.timeouts.command = 1; });
  SmtpTestClient c(harness_.port());
  EXPECT_THAT(c.ReadReply(), StartsWith("220 "));
  EXPECT_THAT(c.ReadUntilClose(), StartsWith("421 4.4.2 "));
}

TEST_F(SmtpEdgeTest, ClientStallingInsideBdatChunkTimesOut) {
  StartWith({}, [](config::Listener& l) { l.timeouts.data_block = 1; });
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  c.Send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\n");
  c.ReadReply();
  c.ReadReply();
  c.Send("BDAT 100 LAST\r\nonly a few bytes");
  EXPECT_THAT(c.ReadUntilClose(), StartsWith("421 4.4.2 "));
  ASSERT_TRUE(upstream_->WaitFor([&] { return upstream_->closed_connections() == 1; }));
  for (const auto& m : upstream_->messages()) EXPECT_FALSE(m.complete);
  EXPECT_TRUE(harness_.sink().records()[0].aborted);
}

TEST_F(SmtpEdgeTest, ImplicitTlsClientThatNeverHandshakesIsDropped) {
  StartWith({}, [](config::Listener& l) {
    l.tls = config::TlsMode::kImplicit;
    l.timeouts.command = 1;
  });
  SmtpTestClient c(harness_.port());
  EXPECT_EQ(c.ReadUntilClose(), "");  // closed, and not a plaintext byte written
  EXPECT_THAT(harness_.LogText("connections"), HasSubstr("reason=TLS handshake timeout"));
}

TEST_F(SmtpEdgeTest, SilentProviderTimesOut) {
  FakeSmtpUpstream::Options opts;
  opts.silent = true;
  StartWith(opts, [](config::Listener& l) { l.timeouts.greeting = 1; });
  SmtpTestClient c(harness_.port());
  EXPECT_EQ(c.ReadUntilClose(), "421 4.4.2 provider 127.0.0.1:" + std::to_string(upstream_->port()) + " did not answer\r\n");
}

TEST_F(SmtpEdgeTest, LongAndMalformedCommandLines) {
  StartWith({});
  SmtpTestClient c(harness_.port());
  EXPECT_THAT(c.ReadReply(), StartsWith("220 "));
  c.Send("NOOP " + std::string(5000, 'x') + "\r\nNOOP\nNO\rOP\r\nXCLIENT ADDR=1.2.3.4\r\nNOOP\r\n");
  EXPECT_EQ(c.ReadReply(), "500 5.5.2 line too long\r\n");
  EXPECT_EQ(c.ReadReply(), "500 5.5.2 bare LF in command; use CRLF line endings\r\n");
  EXPECT_EQ(c.ReadReply(), "500 5.5.2 bare CR in command; use CRLF line endings\r\n");
  EXPECT_EQ(c.ReadReply(), "500 5.5.2 command not recognized\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  for (const auto& cmd : upstream_->commands()) EXPECT_EQ(cmd.find("XCLIENT"), std::string::npos);
}

TEST_F(SmtpEdgeTest, ClientGoneAfterDotStillRecordsVerdict) {
  StartWith({});
  std::promise<void> release;
  auto released = release.get_future().share();
  harness_.sink().on_commit = [released] { released.wait(); };
  {
    SmtpTestClient c(harness_.port());
    LoginAsAlice(c);
    c.Send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n");
    c.ReadReply();
    c.ReadReply();
    ASSERT_THAT(c.ReadReply(), StartsWith("354 "));
    c.Send("Subject: bye\r\n\r\nx\r\n.\r\n");
    ASSERT_TRUE(upstream_->WaitFor([&] { return upstream_->messages().size() == 1 && upstream_->messages()[0].complete; }));
  }  // client leaves while the commit is held
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  release.set_value();
  ASSERT_TRUE(upstream_->WaitFor([&] {
    auto r = harness_.sink().records();
    return r.size() == 1 && r[0].committed;
  }));
  EXPECT_FALSE(harness_.sink().records()[0].aborted);
  EXPECT_TRUE(upstream_->WaitFor([&] { return harness_.SessionCount() == 0; }));
}

TEST_F(SmtpEdgeTest, BdatChunksRelayedWithLastByteHeldUntilSealed) {
  StartWith({});
  std::atomic<int> complete_at_seal{-1};
  harness_.sink().on_seal = [&] {
    int n = 0;
    for (const auto& m : upstream_->messages()) n += m.complete;
    complete_at_seal = n;
  };
  SmtpTestClient c(harness_.port());
  std::string ehlo = LoginAsAlice(c);
  ASSERT_THAT(ehlo, HasSubstr("CHUNKING"));
  const std::string part1 = "Subject: chunks\r\n\r\n.no dot handling\r\n";
  const std::string part2 = "end\r\n";
  c.Send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\n");
  c.ReadReply();
  c.ReadReply();
  c.Send("BDAT " + std::to_string(part1.size()) + "\r\n" + part1 + "BDAT " + std::to_string(part2.size()) +
         " LAST\r\n" + part2 + "NOOP\r\n");
  EXPECT_EQ(c.ReadReply(), "250 2.0.0 " + std::to_string(part1.size()) + " octets received\r\n");
  EXPECT_EQ(c.ReadReply(), "250 2.0.0 Ok: queued as FAKE1\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));  // the NOOP after the chunk is a command again
  auto msgs = upstream_->messages();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_TRUE(msgs[0].complete);
  EXPECT_EQ(msgs[0].data, part1 + part2);
  auto recs = harness_.sink().records();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].bytes, part1 + part2);
  EXPECT_TRUE(recs[0].committed);
  EXPECT_EQ(complete_at_seal.load(), 0);
  // BDAT 0 LAST: the whole command is what is held back.
  c.Send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nBDAT 4\r\nab\r\nBDAT 0 LAST\r\n");
  c.ReadReply();
  c.ReadReply();
  EXPECT_THAT(c.ReadReply(), StartsWith("250 2.0.0 4 octets"));
  EXPECT_THAT(c.ReadReply(), StartsWith("250 2.0.0 Ok"));
  ASSERT_EQ(upstream_->messages().size(), 2u);
  EXPECT_EQ(upstream_->messages()[1].data, "ab\r\n");
  EXPECT_EQ(harness_.sink().records()[1].bytes, "ab\r\n");
}

TEST_F(SmtpEdgeTest, BdatBareLfRejectedAndNotReleased) {
  StartWith({});
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  c.Send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\n");
  c.ReadReply();
  c.ReadReply();
  c.Send("BDAT 6 LAST\r\nab\ncd\n");
  EXPECT_EQ(c.ReadReply(), "550 5.6.11 bare LF/CR in message; use CRLF line endings\r\n");
  EXPECT_EQ(c.ReadReply(), "421 4.3.0 transaction aborted; please reconnect\r\n");
  ASSERT_TRUE(upstream_->WaitFor([&] { return upstream_->closed_connections() == 1; }));
  for (const auto& m : upstream_->messages()) EXPECT_FALSE(m.complete);
  EXPECT_TRUE(harness_.sink().records()[0].aborted);
}

TEST_F(SmtpEdgeTest, NoChunkingUnderNormalize) {
  StartWith({}, [](config::Listener& l) { l.bare_newline = config::BareNewline::kNormalize; });
  SmtpTestClient c(harness_.port());
  std::string ehlo = LoginAsAlice(c);
  EXPECT_EQ(ehlo.find("CHUNKING"), std::string::npos);
  c.Send("BDAT 5\r\nNOOP\n");  // the 5 bytes are consumed, never parsed as a command
  EXPECT_EQ(c.ReadReply(), "502 5.5.1 BDAT not offered; use DATA\r\n");
  c.Send("NOOP\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  EXPECT_EQ(c.buffered(), "");
}

TEST_F(SmtpEdgeTest, MessageOverListenerLimitRefused) {
  StartWith({}, [](config::Listener& l) { l.max_message_bytes = 64; });
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  c.Send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n");
  c.ReadReply();
  c.ReadReply();
  ASSERT_THAT(c.ReadReply(), StartsWith("354 "));
  c.Send("Subject: big\r\n\r\n" + std::string(100, 'x') + "\r\n.\r\n");
  EXPECT_EQ(c.ReadReply(), "552 5.3.4 message exceeds 64 bytes\r\n");
  EXPECT_EQ(c.ReadReply(), "421 4.3.0 transaction aborted; please reconnect\r\n");
  for (const auto& m : upstream_->messages()) EXPECT_FALSE(m.complete);
}

TEST_F(SmtpEdgeTest, ImplicitTlsOnBothSides) {
  FakeSmtpUpstream::Options opts;
  opts.starttls = harness_.server_tls();
  opts.implicit_tls = true;
  StartWith(opts, [](config::Listener& l) {
    l.tls = config::TlsMode::kImplicit;
    l.upstream->tls = config::TlsMode::kImplicit;
  });
  SmtpTestClient c(harness_.port());
  ASSERT_TRUE(c.StartTls());
  std::string ehlo = LoginAsAlice(c);
  EXPECT_THAT(ehlo, HasSubstr("AUTH PLAIN LOGIN CRAM-MD5"));  // AUTH offered at once on TLS
  EXPECT_EQ(ehlo.find("STARTTLS"), std::string::npos);
  c.Send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n");
  c.ReadReply();
  c.ReadReply();
  ASSERT_THAT(c.ReadReply(), StartsWith("354 "));
  c.Send("Subject: tls\r\n\r\nsecure\r\n.\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  ASSERT_EQ(upstream_->messages().size(), 1u);
  EXPECT_EQ(upstream_->messages()[0].data, "Subject: tls\r\n\r\nsecure\r\n");
}

TEST_F(SmtpEdgeTest, ProviderWithoutPipeliningGetsOneCommandAtATime) {
  FakeSmtpUpstream::Options opts;
  opts.ehlo_extensions = {"AUTH PLAIN"};
  StartWith(opts);
  SmtpTestClient c(harness_.port());
  std::string ehlo = LoginAsAlice(c);
  EXPECT_EQ(ehlo.find("PIPELINING"), std::string::npos);
  c.Send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nNOOP\r\nRSET\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 2.1.0"));
  EXPECT_THAT(c.ReadReply(), StartsWith("250 2.1.5"));
  EXPECT_THAT(c.ReadReply(), StartsWith("250 2.0.0"));
  EXPECT_THAT(c.ReadReply(), StartsWith("250 2.0.0"));
  EXPECT_EQ(upstream_->pipelining_violations(), 0);
}

TEST_F(SmtpEdgeTest, ConnectionsOverThePerIpCapGet421) {
  StartWith({}, [](config::Listener& l) { l.max_connections_per_ip = 1; });
  SmtpTestClient first(harness_.port());
  EXPECT_THAT(first.ReadReply(), StartsWith("220 "));
  SmtpTestClient second(harness_.port());
  EXPECT_THAT(second.ReadUntilClose(), StartsWith("421 4.7.0 "));
  first.Send("QUIT\r\n");
  EXPECT_THAT(first.ReadReply(), StartsWith("221 "));
}

}  // namespace
}  // namespace mailtee::smtp_testing
