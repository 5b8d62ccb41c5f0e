// ArchiveStore: spool -> commit happy path, refused, POP3 dedupe, concurrency.
#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <filesystem>
#include <thread>

#include "archive/archive_store.h"
#include "archive/index_sink.h"
#include "archive/local_time.h"
#include "archive/report.h"
#include "archive_test_util.h"

namespace mailtee::archive {
namespace {

namespace fs = std::filesystem;
using testing::FilesUnder;
using testing::MakeUniqueTempDir;
using testing::PermissionBits;
using testing::ReadWholeFile;
using testing::ReceivedContext;

const std::string kMessage =
    "From: Alice <alice@example.com>\r\n"
    "To: bob@example.net\r\n"
    "Cc: carol@example.org\r\n"
    "Subject: Quarterly figures\r\n"
    "Message-ID: <q1@example.com>\r\n"
    "Date: Tue, 24 Nov 2026 16:20:24 +0900\r\n"
    "\r\n"
    "Hello Bob,\r\n"
    "the figures are attached.\r\n";

std::string Sha256Hex(const std::string& data) {
  uint8_t d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const uint8_t*>(data.data()), data.size(), d);
  std::string out;
  char buf[3];
  for (uint8_t b : d) {
    snprintf(buf, sizeof buf, "%02x", b);
    out += buf;
  }
  return out;
}

class StoreCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = MakeUniqueTempDir("store_commit");
    ASSERT_FALSE(root_.empty());
    storage_ = root_ + "/storage";
    log_ = std::make_unique<LogBook>(root_ + "/logs", 0, false);
    ASSERT_TRUE(log_->Open().ok());
    ASSERT_TRUE(ArchiveStore::Open(storage_, Env::Default(), log_.get(), &store_).ok());
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(root_);
  }

  static MessageContext SentContext() {
    MessageContext c;
    c.direction = Direction::kSent;
    c.protocol = "smtp";
    c.listener = "submission";
    c.user = "Alice@Example.COM";
    c.client_ip = "192.0.2.7";
    c.received_at = std::chrono::system_clock::from_time_t(1795537224);
    c.envelope_from = "alice@example.com";
    c.envelope_to = {"bob@example.net", "carol@example.org", "dave@hidden.example"};
    c.upstream = "smtp.example.com:587";
    return c;
  }

  // Streams message in small chunks, as the proxy does.
  std::unique_ptr<Capture> Spool(const MessageContext& c, const std::string& message) {
    std::unique_ptr<Capture> capture;
    Status s = store_->Begin(c, &capture);
    EXPECT_TRUE(s.ok()) << s.message();
    for (size_t i = 0; i < message.size(); i += 7)
      EXPECT_TRUE(capture->Append(std::string_view(message).substr(i, 7)).ok());
    EXPECT_EQ(capture->size(), message.size());
    return capture;
  }

  fs::path DayDir(const std::string& user_folder, const MessageContext& c) {
    return fs::path(storage_) / "archive" / user_folder / LocalDayPath(c.received_at);
  }

  Report ReadReport(const fs::path& path) {
    Report r;
    Status s = ParseReportXml(ReadWholeFile(path), &r);
    EXPECT_TRUE(s.ok()) << s.message();
    return r;
  }

  std::string root_, storage_;
  std::unique_ptr<LogBook> log_;
  std::unique_ptr<ArchiveStore> store_;
};

TEST_F(StoreCommitTest, OpenCreatesPrivateFolders) {
  for (const char* sub : {"", "/spool", "/archive", "/index"}) EXPECT_EQ(PermissionBits(storage_ + sub), 0700u) << sub;
  EXPECT_TRUE(fs::exists(storage_ + "/index/state"));
}

TEST_F(StoreCommitTest, SpoolThenCommitArchivesByteExactWithReport) {
  MessageContext c = SentContext();
  auto capture = Spool(c, kMessage);
  const std::string id = capture->id();
  EXPECT_EQ(PermissionBits(storage_ + "/spool/" + id + ".eml.part"), 0600u);
  EXPECT_TRUE(fs::exists(storage_ + "/spool/" + id + ".meta"));

  ASSERT_TRUE(capture->SealForRelay().ok());
  Outcome o{Outcome::Kind::kRelayed, 250, "250 2.0.0 Ok: queued as 4711", c.received_at + std::chrono::seconds(2)};
  Status s = capture->Commit(o);
  ASSERT_TRUE(s.ok()) << s.message();

  fs::path day = DayDir("alice@example.com", c);
  fs::path eml = day / (id + ".eml"), xml = day / (id + ".xml");
  ASSERT_TRUE(fs::exists(eml)) << eml;
  EXPECT_EQ(ReadWholeFile(eml), kMessage);
  EXPECT_EQ(PermissionBits(eml), 0600u);
  EXPECT_EQ(PermissionBits(xml), 0600u);
  EXPECT_EQ(PermissionBits(day), 0700u);
  EXPECT_EQ(PermissionBits(day.parent_path()), 0700u);
  store_->Flush();  // the background writer finishes the commit
  EXPECT_TRUE(fs::is_empty(storage_ + "/spool"));

  Report r = ReadReport(xml);
  EXPECT_EQ(r.id, id);
  EXPECT_EQ(r.direction, "sent");
  EXPECT_EQ(r.protocol, "smtp");
  EXPECT_EQ(r.listener, "submission");
  EXPECT_EQ(r.user, "Alice@Example.COM");
  EXPECT_EQ(r.client_ip, "192.0.2.7");
  EXPECT_EQ(r.received_at, FormatIsoTime(c.received_at));
  EXPECT_EQ(r.relayed_at, FormatIsoTime(o.relayed_at));
  EXPECT_EQ(r.envelope_from, "alice@example.com");
  EXPECT_EQ(r.envelope_to, c.envelope_to);
  EXPECT_EQ(r.bcc, std::vector<std::string>{"dave@hidden.example"});
  EXPECT_EQ(r.outcome, "relayed");
  EXPECT_EQ(r.outcome_code, 250);
  EXPECT_EQ(r.outcome_reply, o.reply);
  EXPECT_EQ(r.summary.subject, "Quarterly figures");
  EXPECT_EQ(r.summary.message_id, "<q1@example.com>");
  EXPECT_EQ(r.summary.size, kMessage.size());
  EXPECT_EQ(r.summary.sha256_hex, Sha256Hex(kMessage));
  EXPECT_TRUE(r.retrievals.empty());

  EXPECT_FALSE(capture->Commit(o).ok());  // a second commit is a caller bug, reported not obeyed
}

TEST_F(StoreCommitTest, RefusedRecordsOnlyTheReport) {
  MessageContext c = SentContext();
  auto capture = Spool(c, kMessage);
  const std::string id = capture->id();
  ASSERT_TRUE(capture->SealForRelay().ok());
  ASSERT_TRUE(capture->Commit({Outcome::Kind::kRefused, 554, "554 5.7.1 Relay access denied", {}}).ok());

  fs::path day = DayDir("alice@example.com", c);
  EXPECT_FALSE(fs::exists(day / (id + ".eml")));
  Report r = ReadReport(day / (id + ".xml"));
  EXPECT_EQ(r.outcome, "refused");
  EXPECT_EQ(r.outcome_code, 554);
  EXPECT_EQ(r.outcome_reply, "554 5.7.1 Relay access denied");
  EXPECT_EQ(r.relayed_at, "");
  EXPECT_EQ(r.summary.sha256_hex, Sha256Hex(kMessage));
  store_->Flush();  // the background writer finishes the commit
  EXPECT_TRUE(fs::is_empty(storage_ + "/spool"));
}

TEST_F(StoreCommitTest, HeldIsArchivedWithOutcomeHeld) {
  auto capture = Spool(SentContext(), kMessage);
  ASSERT_TRUE(capture->SealForRelay().ok());
  ASSERT_TRUE(capture->Commit({Outcome::Kind::kHeld, 250, "250 held for approval", {}}).ok());
  auto xmls = FilesUnder(storage_ + "/archive", ".xml");
  ASSERT_EQ(xmls.size(), 1u);
  EXPECT_EQ(ReadReport(xmls[0]).outcome, "held");
  EXPECT_EQ(FilesUnder(storage_ + "/archive", ".eml").size(), 1u);
}

TEST_F(StoreCommitTest, EnvelopeSenderIsTheUserWithoutLogin) {
  MessageContext c = SentContext();
  c.user = "";
  c.envelope_from = "../Scanner@LAN";
  auto capture = Spool(c, kMessage);
  ASSERT_TRUE(capture->SealForRelay().ok());
  ASSERT_TRUE(capture->Commit({Outcome::Kind::kRelayed, 250, "250 ok", {}}).ok());
  EXPECT_TRUE(fs::exists(DayDir("..%2Fscanner@lan", c) / (capture->id() + ".eml")));
}

TEST_F(StoreCommitTest, ReceivedTwiceIsStoredOnceWithTwoRetrievals) {
  MessageContext first = ReceivedContext("198.51.100.1", 0);
  auto a = Spool(first, kMessage);
  ASSERT_TRUE(a->Commit({Outcome::Kind::kRelayed, 0, "+OK", {}}).ok());  // POP3: no seal
  MessageContext second = ReceivedContext("198.51.100.2", 60);
  auto b = Spool(second, kMessage);
  ASSERT_TRUE(b->Commit({Outcome::Kind::kRelayed, 0, "+OK", {}}).ok());
  store_->Flush();  // the background writer folds the retrieval into the report

  auto emls = FilesUnder(storage_ + "/archive/bob", ".eml");
  auto xmls = FilesUnder(storage_ + "/archive/bob", ".xml");
  ASSERT_EQ(emls.size(), 1u);
  ASSERT_EQ(xmls.size(), 1u);
  EXPECT_EQ(emls[0].stem(), a->id());
  EXPECT_EQ(ReadWholeFile(emls[0]), kMessage);
  Report r = ReadReport(xmls[0]);
  EXPECT_EQ(r.direction, "received");
  EXPECT_EQ(r.outcome, "fetched");
  EXPECT_EQ(r.uidl, "UID-1");
  ASSERT_EQ(r.retrievals.size(), 2u);
  EXPECT_EQ(r.retrievals[0].client_ip, "198.51.100.1");
  EXPECT_EQ(r.retrievals[0].at, FormatIsoTime(first.received_at));
  EXPECT_EQ(r.retrievals[1].client_ip, "198.51.100.2");
  EXPECT_EQ(r.retrievals[1].at, FormatIsoTime(second.received_at));
  EXPECT_EQ(r.retrievals[1].id, b->id());
  EXPECT_TRUE(fs::is_empty(storage_ + "/spool"));

  // Different bytes, or another user, are separate messages.
  auto c = Spool(ReceivedContext("198.51.100.1", 120), kMessage + "P.S.\r\n");
  ASSERT_TRUE(c->Commit({Outcome::Kind::kRelayed, 0, "+OK", {}}).ok());
  MessageContext carol = ReceivedContext("198.51.100.1", 180);
  carol.user = "carol";
  auto d = Spool(carol, kMessage);
  ASSERT_TRUE(d->Commit({Outcome::Kind::kRelayed, 0, "+OK", {}}).ok());
  EXPECT_EQ(FilesUnder(storage_ + "/archive/bob", ".eml").size(), 2u);
  EXPECT_EQ(FilesUnder(storage_ + "/archive/carol", ".eml").size(), 1u);
}

TEST_F(StoreCommitTest, DedupeSurvivesReopenAndIgnoresAMissingEarlierCopy) {
  auto a = Spool(ReceivedContext("198.51.100.1", 0), kMessage);
  ASSERT_TRUE(a->Commit({Outcome::Kind::kRelayed, 0, "+OK", {}}).ok());
  a.reset();
  store_.reset();
  ASSERT_TRUE(ArchiveStore::Open(storage_, Env::Default(), log_.get(), &store_).ok());
  auto b = Spool(ReceivedContext("198.51.100.2", 10), kMessage);
  ASSERT_TRUE(b->Commit({Outcome::Kind::kRelayed, 0, "+OK", {}}).ok());
  store_->Flush();
  auto xmls = FilesUnder(storage_ + "/archive/bob", ".xml");
  ASSERT_EQ(xmls.size(), 1u);
  EXPECT_EQ(ReadReport(xmls[0]).retrievals.size(), 2u);

  // The admin deleted the copy: the index entry is stale, the next fetch is stored anew.
  for (const auto& p : FilesUnder(storage_ + "/archive/bob", ".xml")) fs::remove(p);
  for (const auto& p : FilesUnder(storage_ + "/archive/bob", ".eml")) fs::remove(p);
  auto c = Spool(ReceivedContext("198.51.100.3", 20), kMessage);
  ASSERT_TRUE(c->Commit({Outcome::Kind::kRelayed, 0, "+OK", {}}).ok());
  auto emls = FilesUnder(storage_ + "/archive/bob", ".eml");
  ASSERT_EQ(emls.size(), 1u);
  EXPECT_EQ(emls[0].stem(), c->id());
}

TEST_F(StoreCommitTest, ConcurrentCommitsOnWorkerThreads) {
  // Eight fetches of one message by one user plus eight distinct sent messages,
  // committed at once: one copy of the fetched message with eight retrievals.
  std::vector<std::unique_ptr<Capture>> captures;
  for (int i = 0; i < 8; ++i) captures.push_back(Spool(ReceivedContext("10.0.0." + std::to_string(i), i), kMessage));
  for (int i = 0; i < 8; ++i) captures.push_back(Spool(SentContext(), kMessage + std::to_string(i)));
  std::vector<std::thread> workers;
  std::atomic<int> failures{0};
  for (auto& capture : captures)
    workers.emplace_back([&failures, c = capture.get()] {
      if (!c->SealForRelay().ok() || !c->Commit({Outcome::Kind::kRelayed, 250, "ok", {}}).ok()) failures++;
    });
  for (auto& w : workers) w.join();
  EXPECT_EQ(failures.load(), 0);
  store_->Flush();  // the background writer finishes the commits and folds the retrievals
  EXPECT_EQ(FilesUnder(storage_ + "/archive/bob", ".eml").size(), 1u);
  auto xmls = FilesUnder(storage_ + "/archive/bob", ".xml");
  ASSERT_EQ(xmls.size(), 1u);
  EXPECT_EQ(ReadReport(xmls[0]).retrievals.size(), 8u);
  EXPECT_EQ(FilesUnder(storage_ + "/archive/alice@example.com", ".eml").size(), 8u);
  EXPECT_TRUE(fs::is_empty(storage_ + "/spool"));
}

TEST_F(StoreCommitTest, IndexingSinkHearsOfEveryDurableMessage) {
  std::unique_ptr<IndexingSink> sink;
  ASSERT_TRUE(IndexingSink::Open(storage_, &sink).ok());
  store_->SetIndexingSink(sink.get());
  auto sent = Spool(SentContext(), kMessage);
  ASSERT_TRUE(sent->SealForRelay().ok());
  ASSERT_TRUE(sent->Commit({Outcome::Kind::kRelayed, 250, "250 ok", {}}).ok());
  auto refused = Spool(SentContext(), kMessage);
  ASSERT_TRUE(refused->SealForRelay().ok());
  ASSERT_TRUE(refused->Commit({Outcome::Kind::kRefused, 554, "554 no", {}}).ok());
  for (const auto& id : {sent->id(), refused->id()}) {
    store_->Flush();  // the background writer finishes the commit
    IndexRecord record;
    bool known = false;
    ASSERT_TRUE(sink->index()->Get(id, &record, &known).ok());
    EXPECT_TRUE(known) << id;
  }
  store_->SetIndexingSink(nullptr);
}

TEST_F(StoreCommitTest, JapaneseLoginAndSubjectAndALargeBody) {
  MessageContext c = SentContext();
  c.user = "山田@例え.jp";
  std::string message =
      "From: yamada@example.jp\r\n"
      "To: bob@example.net\r\n"
      "Subject: =?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=\r\n"  // テスト
      "\r\n";
  std::string line(998, 'x');
  while (message.size() < (5 << 20)) message += line + "\r\n";
  std::unique_ptr<Capture> capture;
  ASSERT_TRUE(store_->Begin(c, &capture).ok());
  for (size_t i = 0; i < message.size(); i += 65536)
    ASSERT_TRUE(capture->Append(std::string_view(message).substr(i, 65536)).ok());
  ASSERT_TRUE(capture->SealForRelay().ok());
  ASSERT_TRUE(capture->Commit({Outcome::Kind::kRelayed, 250, "250 ok", {}}).ok());

  fs::path day = DayDir("%E5%B1%B1%E7%94%B0@%E4%BE%8B%E3%81%88.jp", c);
  ASSERT_TRUE(fs::exists(day / (capture->id() + ".eml")));
  EXPECT_TRUE(ReadWholeFile(day / (capture->id() + ".eml")) == message);
  Report r = ReadReport(day / (capture->id() + ".xml"));
  EXPECT_EQ(r.user, "山田@例え.jp");
  EXPECT_EQ(r.summary.subject, "テスト");
  EXPECT_EQ(r.summary.size, message.size());
  EXPECT_EQ(r.summary.sha256_hex, Sha256Hex(message));
}

TEST_F(StoreCommitTest, AbortRemovesTheSpool) {
  auto capture = Spool(SentContext(), kMessage);
  capture->Abort("client closed the connection");
  EXPECT_TRUE(fs::is_empty(storage_ + "/spool"));
  EXPECT_TRUE(FilesUnder(storage_ + "/archive", ".xml").empty());
}

}  // namespace
}  // namespace mailtee::archive
