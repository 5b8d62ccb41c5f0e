#include "archive/spool_meta.h"

#include <gtest/gtest.h>

namespace mailtee::archive {
namespace {

TEST(SpoolMeta, RoundTripsEveryField) {
  SpoolMeta m;
  m.id = "20261124T162024Z-0123456789ab";
  m.phase = SpoolPhase::kRefused;
  m.archive_dir = "archive/%E5%B1%B1@x/2026/11/24";
  m.context.direction = Direction::kReceived;
  m.context.protocol = "pop3";
  m.context.listener = "pop 3";
  m.context.user = "we\\ird\nuser";
  m.context.client_ip = "::1";
  m.context.received_at = std::chrono::system_clock::from_time_t(1795537224) + std::chrono::microseconds(123456);
  m.context.envelope_from = "";
  m.context.envelope_to = {"a@b", "c@d"};
  m.context.uidl = "U1";
  m.context.upstream = "pop.example:995";
  m.has_outcome = true;
  m.outcome = {Outcome::Kind::kRefused, 554, "554-first\r\n554 second", m.context.received_at + std::chrono::seconds(3)};

  SpoolMeta back;
  ASSERT_TRUE(ParseSpoolMeta(SerializeSpoolMeta(m), &back).ok());
  EXPECT_EQ(back.id, m.id);
  EXPECT_EQ(back.phase, m.phase);
  EXPECT_EQ(back.archive_dir, m.archive_dir);
  EXPECT_EQ(back.context.direction, Direction::kReceived);
  EXPECT_EQ(back.context.listener, "pop 3");
  EXPECT_EQ(back.context.user, "we\\ird\nuser");
  EXPECT_EQ(back.context.received_at, m.context.received_at);
  EXPECT_EQ(back.context.envelope_to, m.context.envelope_to);
  EXPECT_EQ(back.context.uidl, "U1");
  EXPECT_EQ(back.context.upstream, "pop.example:995");
  EXPECT_TRUE(back.has_outcome);
  EXPECT_EQ(back.outcome.kind, Outcome::Kind::kRefused);
  EXPECT_EQ(back.outcome.code, 554);
  EXPECT_EQ(back.outcome.reply, m.outcome.reply);
  EXPECT_EQ(back.outcome.relayed_at, m.outcome.relayed_at);
}

TEST(SpoolMeta, TornOrForeignFilesAreRejected) {
  SpoolMeta m;
  m.id = "x";
  m.archive_dir = "archive/u/2026/11/24";
  std::string text = SerializeSpoolMeta(m);
  SpoolMeta back;
  EXPECT_FALSE(ParseSpoolMeta(text.substr(0, text.size() - 4), &back).ok());
  EXPECT_FALSE(ParseSpoolMeta("", &back).ok());
  EXPECT_FALSE(ParseSpoolMeta("hello\n", &back).ok());
  EXPECT_FALSE(ParseSpoolMeta("mailtee-spool-meta 1\nphase sideways\nend\n", &back).ok());
}

}  // namespace
}  // namespace mailtee::archive
