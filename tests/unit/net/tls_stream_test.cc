// TLS over a Stream: both directions, verification outcomes, STARTTLS injection,
// closing mid-handshake.
#include "certs/tls_context.h"
#include "tests/unit/net/net_test_util.h"

namespace mailtee::net::testing {
namespace {

class TlsStreamTest : public NetTest {
 protected:
  void SetUp() override {
    NetTest::SetUp();
    const TestCert& c = TestCert::Get();
    Status s = certs::MakeServerContext(c.cert, c.key, &server_ctx_);
    ASSERT_TRUE(s.ok()) << s.message();
    s = certs::MakeClientContext(true, c.cert, &pinned_ctx_);  // trust exactly our cert
    ASSERT_TRUE(s.ok()) << s.message();
  }

  // Connects, starts TLS on both sides, waits for both results.
  void Handshake(SSL_CTX* client_ctx, const std::string& host, bool verify) {
    StartListener();
    client_ = ConnectClient();
    ASSERT_NE(client_, nullptr);
    server_ = accepted_[0];
    server_->stream->StartTlsServer(server_ctx_.get(), [this](const Status& s) {
      server_result_ = s;
      server_done_ = true;
    });
    client_->stream->StartTlsClient(client_ctx, host, verify, [this](const Status& s) {
      client_result_ = s;
      client_done_ = true;
    });
    ASSERT_TRUE(RunUntil([&] { return client_done_ && (server_done_ || !client_result_.ok()); }));
  }

  bssl::UniquePtr<SSL_CTX> server_ctx_, pinned_ctx_;
  Peer* client_ = nullptr;
  Peer* server_ = nullptr;
  bool client_done_ = false, server_done_ = false;
  Status client_result_, server_result_;
};

TEST_F(TlsStreamTest, HandshakeThenDataBothWays) {
  Handshake(pinned_ctx_.get(), "localhost", true);
  ASSERT_TRUE(client_result_.ok()) << client_result_.message();
  ASSERT_TRUE(server_result_.ok()) << server_result_.message();
  EXPECT_TRUE(client_->stream->is_tls());
  EXPECT_EQ(client_->stream->tls_description().rfind("TLSv1.", 0), 0u)
      << client_->stream->tls_description();
  client_->stream->Write("EHLO client\r\n");
  server_->stream->Write("250 server\r\n");
  ASSERT_TRUE(RunUntil([&] {
    return server_->received == "EHLO client\r\n" && client_->received == "250 server\r\n";
  }));
  // close_notify reaches the peer as a clean EOF.
  client_->stream->Close();
  ASSERT_TRUE(RunUntil([&] { return server_->eof && client_->closed; }));
}

TEST_F(TlsStreamTest, IpAddressIsVerifiedAgainstIpSan) {
  Handshake(pinned_ctx_.get(), "127.0.0.1", true);
  EXPECT_TRUE(client_result_.ok()) << client_result_.message();
}

TEST_F(TlsStreamTest, SystemTrustStoreRejectsSelfSignedWithClearMessage) {
  bssl::UniquePtr<SSL_CTX> system_ctx;
  ASSERT_TRUE(certs::MakeClientContext(true, "", &system_ctx).ok());
  Handshake(system_ctx.get(), "localhost", true);
  ASSERT_FALSE(client_result_.ok());
  const std::string want = "TLS handshake with 127.0.0.1:" + std::to_string(listener_->port()) +
                           " failed: certificate verify failed (self signed certificate";
  EXPECT_EQ(client_result_.message().substr(0, want.size()), want) << client_result_.message();
  // The server learns it from the client's alert.
  ASSERT_TRUE(RunUntil([&] { return server_done_; }));
  EXPECT_FALSE(server_result_.ok());
  EXPECT_NE(server_result_.message().find("TLS handshake with 127.0.0.1:"), std::string::npos)
      << server_result_.message();
}

TEST_F(TlsStreamTest, HostNameMismatchFails) {
  Handshake(pinned_ctx_.get(), "mail.example.org", true);
  ASSERT_FALSE(client_result_.ok());
  EXPECT_NE(client_result_.message().find("certificate verify failed (Hostname mismatch)"),
            std::string::npos)
      << client_result_.message();
}

TEST_F(TlsStreamTest, VerifyFalseAcceptsAnyCertificate) {
  bssl::UniquePtr<SSL_CTX> lax;
  ASSERT_TRUE(certs::MakeClientContext(false, "", &lax).ok());
  Handshake(lax.get(), "mail.example.org", false);
  EXPECT_TRUE(client_result_.ok()) << client_result_.message();
}

TEST_F(TlsStreamTest, PlaintextPeerFailsTheServerHandshake) {
  StartListener();
  client_ = ConnectClient();
  ASSERT_NE(client_, nullptr);
  server_ = accepted_[0];
  server_->stream->StartTlsServer(server_ctx_.get(), [this](const Status& s) {
    server_result_ = s;
    server_done_ = true;
  });
  client_->stream->Write("HELO not-tls\r\n");
  ASSERT_TRUE(RunUntil([&] { return server_done_; }));
  EXPECT_FALSE(server_result_.ok());
  EXPECT_EQ(server_->received, "");
}

// The client (an attacker in the middle, CVE-2011-0411) appends a command after
// STARTTLS in the same packet. The server's owner consumes the STARTTLS line,
// calls StartTlsServer from inside on_data and drops the rest of its buffer;
// "EVIL" must never appear as data after TLS starts.
TEST_F(TlsStreamTest, StartTlsInjectionIsNeverDelivered) {
  StartListener();
  client_ = ConnectClient();
  ASSERT_NE(client_, nullptr);
  server_ = accepted_[0];
  std::string pending_plaintext;
  bool tls_started = false;
  server_->on_data = [&](Peer& p, std::string_view d) {
    if (tls_started) {
      p.received.append(d);  // decrypted data only
      return;
    }
    pending_plaintext.append(d);
    size_t eol = pending_plaintext.find("\r\n");
    if (eol == std::string::npos) return;
    ASSERT_EQ(pending_plaintext.substr(0, eol), "STARTTLS");
    p.stream->Write("220 2.0.0 Ready to start TLS\r\n");  // still plaintext
    tls_started = true;
    p.stream->StartTlsServer(server_ctx_.get(), [&](const Status& s) {
      server_result_ = s;
      server_done_ = true;
    });
    pending_plaintext.clear();  // the rule: the owner drops what it has not parsed
  };
  std::string client_plain;
  client_->on_data = [&](Peer& p, std::string_view d) {
    if (p.stream->is_tls()) {
      p.received.append(d);
      return;
    }
    client_plain.append(d);
    if (client_plain.find("\r\n") == std::string::npos) return;
    EXPECT_EQ(client_plain, "220 2.0.0 Ready to start TLS\r\n");
    p.stream->StartTlsClient(pinned_ctx_.get(), "localhost", true, [&](const Status& s) {
      client_result_ = s;
      client_done_ = true;
    });
  };
  client_->stream->Write("STARTTLS\r\nEVIL\r\n");
  ASSERT_TRUE(RunUntil([&] { return client_done_ && server_done_; }));
  ASSERT_TRUE(client_result_.ok()) << client_result_.message();
  ASSERT_TRUE(server_result_.ok()) << server_result_.message();
  client_->stream->Write("EHLO after-tls\r\n");
  ASSERT_TRUE(RunUntil([&] { return server_->received.size() >= 16; }));
  EXPECT_EQ(server_->received, "EHLO after-tls\r\n");
  EXPECT_EQ(server_->received.find("EVIL"), std::string::npos);
}

// Injection where the attacker does not wait for "220": the extra bytes reach
// the TLS layer as garbage and the handshake fails; still no plaintext leaks.
TEST_F(TlsStreamTest, BytesAfterStartTlsInALaterReadBreakTheHandshakeNotTheParser) {
  StartListener();
  client_ = ConnectClient();
  ASSERT_NE(client_, nullptr);
  server_ = accepted_[0];
  bool tls_started = false;
  server_->on_data = [&](Peer& p, std::string_view d) {
    if (tls_started) {
      p.received.append(d);
      return;
    }
    tls_started = true;
    p.stream->StartTlsServer(server_ctx_.get(), [&](const Status& s) {
      server_result_ = s;
      server_done_ = true;
    });
  };
  client_->stream->Write("STARTTLS\r\n");
  ASSERT_TRUE(RunUntil([&] { return tls_started; }));
  client_->stream->Write("EVIL\r\n");
  ASSERT_TRUE(RunUntil([&] { return server_done_; }));
  EXPECT_FALSE(server_result_.ok());
  EXPECT_EQ(server_->received, "");
}

TEST_F(TlsStreamTest, CloseDuringHandshakeSuppressesDoneAndFreesEverything) {
  StartListener();
  client_ = ConnectClient();
  ASSERT_NE(client_, nullptr);
  server_ = accepted_[0];
  server_->stream->StartTlsServer(server_ctx_.get(), [this](const Status& s) {
    server_result_ = s;
    server_done_ = true;
  });
  client_->stream->StartTlsClient(pinned_ctx_.get(), "localhost", true,
                                  [this](const Status&) { client_done_ = true; });
  client_->stream->Close();  // ClientHello is still queued
  ASSERT_TRUE(RunUntil([&] { return client_->closed && server_done_; }));
  EXPECT_FALSE(client_done_);
  EXPECT_FALSE(server_result_.ok());
  server_->stream->Close();
  ASSERT_TRUE(RunUntil([&] { return server_->closed; }));
}

TEST_F(TlsStreamTest, ServerClosesWhileClientHandshakeIsInFlight) {
  StartListener();
  client_ = ConnectClient();
  ASSERT_NE(client_, nullptr);
  server_ = accepted_[0];
  client_->stream->StartTlsClient(pinned_ctx_.get(), "localhost", true, [this](const Status& s) {
    client_result_ = s;
    client_done_ = true;
  });
  server_->stream->Close();
  ASSERT_TRUE(RunUntil([&] { return client_done_; }));
  EXPECT_FALSE(client_result_.ok());
  EXPECT_NE(client_result_.message().find("TLS handshake with 127.0.0.1:"), std::string::npos)
      << client_result_.message();
}

TEST_F(TlsStreamTest, SecondStartTlsIsAnErrorReportedFromTheLoop) {
  Handshake(pinned_ctx_.get(), "localhost", true);
  ASSERT_TRUE(client_result_.ok());
  bool done = false;
  Status again;
  client_->stream->StartTlsClient(pinned_ctx_.get(), "localhost", true, [&](const Status& s) {
    again = s;
    done = true;
  });
  EXPECT_FALSE(done);  // never from inside StartTls*
  ASSERT_TRUE(RunUntil([&] { return done; }));
  EXPECT_NE(again.message().find("TLS is already active"), std::string::npos) << again.message();
}

}  // namespace
}  // namespace mailtee::net::testing
