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

SpoolMeta Receiving() {
  SpoolMeta m;
  m.id = "20261124T162024Z-0123456789ab";
  m.archive_dir = "archive/u/2026/11/24";
  m.context.user = "u";
  return m;
}

TEST(SpoolMetaJournal, UpdateBlocksApplyInOrder) {
  SpoolMeta m = Receiving();
  std::string text = SerializeSpoolMeta(m);
  m.phase = SpoolPhase::kSealed;
  text += SerializeSpoolUpdate(m);
  m.phase = SpoolPhase::kAccepted;
  m.has_outcome = true;
  m.outcome = {Outcome::Kind::kRelayed, 250, "250 2.0.0 ok\r\nend 0000", std::chrono::system_clock::from_time_t(1)};
  text += SerializeSpoolUpdate(m);

  SpoolMeta back;
  ASSERT_TRUE(ParseSpoolMeta(text, &back).ok());
  EXPECT_EQ(back.phase, SpoolPhase::kAccepted);
  EXPECT_EQ(back.id, m.id);
  ASSERT_TRUE(back.has_outcome);
  EXPECT_EQ(back.outcome.code, 250);
  EXPECT_EQ(back.outcome.reply, m.outcome.reply);
  EXPECT_EQ(back.outcome.relayed_at, m.outcome.relayed_at);
}

TEST(SpoolMetaJournal, SpooledSha256TravelsInTheVerdictBlockAndTheWholeMeta) {
  SpoolMeta m = Receiving();
  std::string text = SerializeSpoolMeta(m);
  m.phase = SpoolPhase::kAccepted;
  m.has_outcome = true;
  m.outcome = {Outcome::Kind::kRelayed, 0, "+OK", std::chrono::system_clock::from_time_t(1)};
  m.spooled_sha256 = std::string(64, 'a');
  text += SerializeSpoolUpdate(m);
  SpoolMeta back;
  ASSERT_TRUE(ParseSpoolMeta(text, &back).ok());
  EXPECT_EQ(back.spooled_sha256, m.spooled_sha256);
  SpoolMeta whole;
  ASSERT_TRUE(ParseSpoolMeta(SerializeSpoolMeta(m), &whole).ok());  // an atomic rewrite keeps it
  EXPECT_EQ(whole.spooled_sha256, m.spooled_sha256);
  SpoolMeta none;
  ASSERT_TRUE(ParseSpoolMeta(SerializeSpoolMeta(Receiving()), &none).ok());
  EXPECT_TRUE(none.spooled_sha256.empty());
}

// A crash during an append leaves any prefix of the block: every one of them
// reads as the phase before it, never as a half verdict.
TEST(SpoolMetaJournal, TornOrCorruptUpdateIsIgnoredWithEverythingAfterIt) {
  SpoolMeta m = Receiving();
  std::string text = SerializeSpoolMeta(m);
  m.phase = SpoolPhase::kSealed;
  text += SerializeSpoolUpdate(m);
  m.phase = SpoolPhase::kRefused;
  m.has_outcome = true;
  m.outcome = {Outcome::Kind::kRefused, 550, "550 no", {}};
  const std::string verdict = SerializeSpoolUpdate(m);
  for (size_t cut = 0; cut < verdict.size(); ++cut) {
    SpoolMeta back;
    ASSERT_TRUE(ParseSpoolMeta(text + verdict.substr(0, cut), &back).ok()) << cut;
    EXPECT_EQ(back.phase, SpoolPhase::kSealed) << cut;
    EXPECT_FALSE(back.has_outcome) << cut;
  }
  std::string flipped = verdict;
  flipped[flipped.find("550 no") + 4] = 'N';  // a changed byte fails the checksum
  SpoolMeta back;
  ASSERT_TRUE(ParseSpoolMeta(text + flipped + verdict, &back).ok());
  EXPECT_EQ(back.phase, SpoolPhase::kSealed) << "nothing after a bad block is trusted";
  ASSERT_TRUE(ParseSpoolMeta(text + verdict, &back).ok());
  EXPECT_EQ(back.phase, SpoolPhase::kRefused);
}

}  // namespace
}  // namespace mailtee::archive
