// Approval hold in the SMTP session (hold_gate.h D1-D7) with a fake HoldGate
// and the scripted provider, which records everything it receives: a held
// message never reaches the provider complete, the archive commits it as
// kHeld before the client hears 250, a passed message relays as before, a
// Persist failure gives 452, a client leaving mid-DATA discards the screen,
// and an envelope-held message never sends DATA/BDAT upstream at all.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "proxy/smtp/sasl.h"
#include "tests/integration/fake_smtp_upstream.h"
#include "tests/integration/smtp_hold_fake_gate.h"
#include "tests/integration/smtp_proxy_fixture.h"
#include "tests/integration/smtp_test_harness.h"

namespace mailtee::smtp_testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

const char kHeldBody[] = "Subject: HOLDME please\r\n\r\nline one\r\n..dot line\r\n";
const char kHeldBodyStuffed[] = "Subject: HOLDME please\r\n\r\nline one\r\n...dot line\r\n";

bool HasLine(const std::vector<std::string>& lines, const std::string& prefix) {
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return l.rfind(prefix, 0) == 0; });
}

class SmtpHoldTest : public ::testing::Test {
 protected:
  void StartWith(FakeSmtpUpstream::Options opts = {}) {
    upstream_ = std::make_unique<FakeSmtpUpstream>(std::move(opts));
    harness_.hold_gate = &gate_;
    harness_.Start(SmtpHarness::MakeListener(upstream_->port()));
  }
  void TearDown() override {
    harness_.Stop();
    upstream_.reset();
  }
  static void Envelope(SmtpTestClient& c, const std::string& from, const std::string& to) {
    c.Send("MAIL FROM:<" + from + ">\r\nRCPT TO:<" + to + ">\r\n");
    ASSERT_THAT(c.ReadReply(), StartsWith("250 "));
    ASSERT_THAT(c.ReadReply(), StartsWith("250 "));
  }
  // No message reached the provider complete (the final dot / last byte never went out).
  void ExpectNothingDelivered() {
    for (const auto& m : upstream_->messages()) EXPECT_FALSE(m.complete) << m.data;
  }
  FakeHoldGate gate_;
  SmtpHarness harness_;
  std::unique_ptr<FakeSmtpUpstream> upstream_;
};

TEST_F(SmtpHoldTest, HeldByContentNeverReachesTheProviderAndIsArchivedAsHeld) {
  StartWith();
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  Envelope(c, "alice@example.org", "bob@example.net");
  c.Send("DATA\r\n");
  ASSERT_THAT(c.ReadReply(), StartsWith("354 "));
  c.Send(std::string(kHeldBodyStuffed) + ".\r\n");
  std::string reply = c.ReadReply();
  ASSERT_THAT(reply, StartsWith("250 2.0.0 held for approval "));
  auto recs = harness_.sink().records();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_TRUE(recs[0].committed);
  EXPECT_FALSE(recs[0].aborted);
  EXPECT_EQ(recs[0].outcome.kind, archive::Outcome::Kind::kHeld);
  EXPECT_EQ(recs[0].outcome.code, 250);
  EXPECT_EQ(reply, "250 2.0.0 held for approval " + recs[0].id + "\r\n");
  EXPECT_EQ(recs[0].bytes, kHeldBody);
  auto screens = gate_.screens();
  ASSERT_EQ(screens.size(), 1u);
  EXPECT_EQ(screens[0].bytes, kHeldBody);  // the same unstuffed bytes as the archive
  EXPECT_EQ(screens[0].persisted_id, recs[0].id);
  EXPECT_TRUE(screens[0].announced);
  EXPECT_FALSE(screens[0].discarded);
  EXPECT_EQ(screens[0].envelope.login, "alice@example.org");
  EXPECT_EQ(screens[0].envelope.recipients, std::vector<std::string>{"bob@example.net"});
  // D7: DATA went upstream, so the upstream was cut; the next command gets 421.
  c.Send("NOOP\r\n");
  EXPECT_EQ(c.ReadReply(), "421 4.3.0 transaction aborted; please reconnect\r\n");
  EXPECT_EQ(c.ReadUntilClose(), "");
  ASSERT_TRUE(upstream_->WaitFor([&] { return upstream_->closed_connections() == 1; }));
  ExpectNothingDelivered();
  EXPECT_FALSE(HasLine(upstream_->commands(), "NOOP"));
}

TEST_F(SmtpHoldTest, NotHeldRelaysAsBeforeAndDiscardsTheScreen) {
  StartWith();
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  Envelope(c, "alice@example.org", "bob@example.net");
  c.Send("DATA\r\n");
  ASSERT_THAT(c.ReadReply(), StartsWith("354 "));
  c.Send("Subject: harmless\r\n\r\nhi\r\n.\r\n");
  EXPECT_EQ(c.ReadReply(), "250 2.0.0 Ok: queued as FAKE1\r\n");
  auto msgs = upstream_->messages();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_TRUE(msgs[0].complete);
  auto recs = harness_.sink().records();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].outcome.kind, archive::Outcome::Kind::kRelayed);
  auto screens = gate_.screens();
  ASSERT_EQ(screens.size(), 1u);
  EXPECT_TRUE(screens[0].asked);
  EXPECT_TRUE(screens[0].discarded);
  EXPECT_TRUE(screens[0].persisted_id.empty());
  c.Send("NOOP\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
}

TEST_F(SmtpHoldTest, NoScreenMeansUnchangedRelay) {
  StartWith();
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  Envelope(c, "pass@example.org", "bob@example.net");
  c.Send("DATA\r\n");
  ASSERT_THAT(c.ReadReply(), StartsWith("354 "));
  c.Send(std::string(kHeldBodyStuffed) + ".\r\n");
  EXPECT_EQ(c.ReadReply(), "250 2.0.0 Ok: queued as FAKE1\r\n");
  EXPECT_TRUE(gate_.screens().empty());
  ASSERT_EQ(upstream_->messages().size(), 1u);
  EXPECT_TRUE(upstream_->messages()[0].complete);
}

TEST_F(SmtpHoldTest, HeldByEnvelopeNeverSendsDataAndTheSessionGoesOn) {
  StartWith();
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  // Pipelined envelope + DATA: the 354 is ours.
  c.Send("MAIL FROM:<alice@example.org>\r\nRCPT TO:<ceo@certain.example>\r\nDATA\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  ASSERT_THAT(c.ReadReply(), StartsWith("354 "));
  c.Send("Subject: plain\r\n\r\nno keyword\r\n.\r\n");
  std::string reply = c.ReadReply();
  ASSERT_THAT(reply, StartsWith("250 2.0.0 held for approval "));
  auto recs = harness_.sink().records();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].outcome.kind, archive::Outcome::Kind::kHeld);
  EXPECT_FALSE(HasLine(upstream_->commands(), "DATA"));
  EXPECT_TRUE(upstream_->messages().empty());
  // The upstream session stays usable: the next message relays.
  Envelope(c, "pass@example.org", "bob@example.net");
  c.Send("DATA\r\n");
  ASSERT_THAT(c.ReadReply(), StartsWith("354 "));
  c.Send("Subject: next\r\n\r\nhi\r\n.\r\n");
  EXPECT_EQ(c.ReadReply(), "250 2.0.0 Ok: queued as FAKE1\r\n");
  auto msgs = upstream_->messages();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].recipients, std::vector<std::string>{"bob@example.net"});
  EXPECT_TRUE(HasLine(upstream_->commands(), "RSET"));  // the held transaction was ended upstream
  EXPECT_EQ(upstream_->connections(), 1);
}

TEST_F(SmtpHoldTest, PersistFailureHeldByEnvelopeGives452AndTheSessionGoesOn) {
  StartWith();
  gate_.fail_persist = true;
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  Envelope(c, "alice@example.org", "ceo@certain.example");
  c.Send("DATA\r\n");
  ASSERT_THAT(c.ReadReply(), StartsWith("354 "));
  c.Send("Subject: x\r\n\r\nhi\r\n.\r\n");
  EXPECT_EQ(c.ReadReply(), "452 4.3.1 archive storage unavailable, try again later\r\n");
  auto recs = harness_.sink().records();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_TRUE(recs[0].aborted);
  EXPECT_FALSE(recs[0].committed);
  auto screens = gate_.screens();
  ASSERT_EQ(screens.size(), 1u);
  EXPECT_TRUE(screens[0].discarded);
  EXPECT_FALSE(screens[0].announced);
  c.Send("NOOP\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  EXPECT_TRUE(upstream_->messages().empty());
}

TEST_F(SmtpHoldTest, PersistFailureAfterDataUpstreamGives452ThenAborts) {
  StartWith();
  gate_.fail_persist = true;
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  Envelope(c, "alice@example.org", "bob@example.net");
  c.Send("DATA\r\n");
  ASSERT_THAT(c.ReadReply(), StartsWith("354 "));
  c.Send(std::string(kHeldBodyStuffed) + ".\r\n");
  EXPECT_EQ(c.ReadReply(), "452 4.3.1 archive storage unavailable, try again later\r\n");
  EXPECT_EQ(c.ReadReply(), "421 4.3.0 transaction aborted; please reconnect\r\n");
  EXPECT_EQ(c.ReadUntilClose(), "");
  auto recs = harness_.sink().records();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_TRUE(recs[0].aborted);
  EXPECT_TRUE(gate_.screens()[0].discarded);
  ASSERT_TRUE(upstream_->WaitFor([&] { return upstream_->closed_connections() == 1; }));
  ExpectNothingDelivered();
}

TEST_F(SmtpHoldTest, ClientGoneMidDataDiscardsTheScreen) {
  StartWith();
  {
    SmtpTestClient c(harness_.port());
    LoginAsAlice(c);
    Envelope(c, "alice@example.org", "ceo@certain.example");
    c.Send("DATA\r\n");
    ASSERT_THAT(c.ReadReply(), StartsWith("354 "));
    c.Send("Subject: HOLDME\r\n\r\npartial");
    // wait until the bytes reached the screen, then hang up
    for (int i = 0; i < 500 && (gate_.screens().empty() || gate_.screens()[0].bytes.empty()); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  for (int i = 0; i < 500 && harness_.SessionCount() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(harness_.SessionCount(), 0u);
  auto screens = gate_.screens();
  ASSERT_EQ(screens.size(), 1u);
  EXPECT_TRUE(screens[0].discarded);
  EXPECT_TRUE(screens[0].persisted_id.empty());
  auto recs = harness_.sink().records();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_TRUE(recs[0].aborted);
  EXPECT_TRUE(upstream_->messages().empty());
}

// The end of data arrived: the hold is completed and announced even though
// nobody is left to hear the 250 (the client was told nothing contradicting it).
TEST_F(SmtpHoldTest, ClientGoneWhilePersistingStillCompletesTheHold) {
  StartWith();
  gate_.persist_delay_ms = 300;
  {
    SmtpTestClient c(harness_.port());
    LoginAsAlice(c);
    Envelope(c, "alice@example.org", "ceo@certain.example");
    c.Send("DATA\r\n");
    ASSERT_THAT(c.ReadReply(), StartsWith("354 "));
    c.Send("Subject: x\r\n\r\nhi\r\n.\r\n");
    for (int i = 0; i < 500 && (gate_.screens().empty() || !gate_.screens()[0].asked); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (int i = 0; i < 500 && harness_.SessionCount() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(harness_.SessionCount(), 0u);
  auto screens = gate_.screens();
  ASSERT_EQ(screens.size(), 1u);
  EXPECT_FALSE(screens[0].persisted_id.empty());
  EXPECT_TRUE(screens[0].announced);
  EXPECT_FALSE(screens[0].discarded);
  auto recs = harness_.sink().records();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_TRUE(recs[0].committed);
  EXPECT_EQ(recs[0].outcome.kind, archive::Outcome::Kind::kHeld);
  EXPECT_TRUE(upstream_->messages().empty());
}

TEST_F(SmtpHoldTest, BareLfInHeldLocallyMessageIsRefusedWithoutCuttingTheUpstream) {
  StartWith();
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  Envelope(c, "alice@example.org", "ceo@certain.example");
  c.Send("DATA\r\n");
  ASSERT_THAT(c.ReadReply(), StartsWith("354 "));
  c.Send("Subject: x\r\n\r\nbad\n.\nline\r\n.\r\n");
  EXPECT_EQ(c.ReadReply(), "550 5.6.11 bare LF/CR in message; use CRLF line endings\r\n");
  EXPECT_TRUE(gate_.screens()[0].discarded);
  EXPECT_TRUE(harness_.sink().records()[0].aborted);
  c.Send("NOOP\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));
  EXPECT_EQ(upstream_->connections(), 1);
  EXPECT_TRUE(upstream_->messages().empty());
}

TEST_F(SmtpHoldTest, BdatHeldByContentWithholdsTheLastByte) {
  StartWith();
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  Envelope(c, "alice@example.org", "bob@example.net");
  std::string part1 = "Subject: HOLDME\r\n";
  std::string part2 = "\r\nbody\r\n";
  c.Send("BDAT " + std::to_string(part1.size()) + "\r\n" + part1);
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));  // the provider's chunk reply
  c.Send("BDAT " + std::to_string(part2.size()) + " LAST\r\n" + part2);
  std::string reply = c.ReadReply();
  ASSERT_THAT(reply, StartsWith("250 2.0.0 held for approval "));
  auto recs = harness_.sink().records();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].outcome.kind, archive::Outcome::Kind::kHeld);
  EXPECT_EQ(gate_.screens()[0].bytes, part1 + part2);
  c.Send("RSET\r\n");
  EXPECT_EQ(c.ReadReply(), "421 4.3.0 transaction aborted; please reconnect\r\n");
  ASSERT_TRUE(upstream_->WaitFor([&] { return upstream_->closed_connections() == 1; }));
  ExpectNothingDelivered();
}

TEST_F(SmtpHoldTest, BdatHeldByEnvelopeSendsNoBdatUpstream) {
  StartWith();
  SmtpTestClient c(harness_.port());
  LoginAsAlice(c);
  Envelope(c, "alice@example.org", "ceo@certain.example");
  std::string part1 = "Subject: x\r\n";
  std::string part2 = "\r\nbody\r\n";
  c.Send("BDAT " + std::to_string(part1.size()) + "\r\n" + part1 + "BDAT " + std::to_string(part2.size()) +
         " LAST\r\n" + part2);
  EXPECT_EQ(c.ReadReply(), "250 2.0.0 " + std::to_string(part1.size()) + " octets received\r\n");
  ASSERT_THAT(c.ReadReply(), StartsWith("250 2.0.0 held for approval "));
  EXPECT_FALSE(HasLine(upstream_->commands(), "BDAT"));
  EXPECT_EQ(gate_.screens()[0].bytes, part1 + part2);
  c.Send("NOOP\r\n");
  EXPECT_THAT(c.ReadReply(), StartsWith("250 "));  // the upstream session is still usable
  EXPECT_TRUE(upstream_->messages().empty());
}

}  // namespace
}  // namespace mailtee::smtp_testing
