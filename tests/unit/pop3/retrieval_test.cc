#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "proxy/pop3/mailbox_listing.h"
#include "proxy/pop3/retrieval_tee.h"

namespace mailtee::pop3 {
namespace {

// A sink that keeps what it was given, to check what reaches the archive.
struct FakeSink : archive::MessageSink {
  struct Entry {
    std::string bytes;
    bool committed = false;
    bool aborted = false;
  };
  std::vector<std::shared_ptr<Entry>> entries;
  bool fail_append = false;

  struct FakeCapture : archive::Capture {
    std::shared_ptr<Entry> entry;
    FakeSink* sink;
    std::string id_ = "id";
    const std::string& id() const override { return id_; }
    Status Append(std::string_view b) override {
      if (sink->fail_append) return Status::Error("disk full");
      entry->bytes.append(b);
      return Status::Ok();
    }
    uint64_t size() const override { return entry->bytes.size(); }
    Status SealForRelay() override { return Status::Ok(); }
    Status Commit(const archive::Outcome&) override {
      entry->committed = true;
      return Status::Ok();
    }
    void Abort(const std::string&) override { entry->aborted = true; }
  };

  Status Begin(const archive::MessageContext&, std::unique_ptr<archive::Capture>* out) override {
    auto cap = std::make_unique<FakeCapture>();
    cap->entry = std::make_shared<Entry>();
    cap->sink = this;
    entries.push_back(cap->entry);
    *out = std::move(cap);
    return Status::Ok();
  }
};

TEST(Pop3MailboxListing, LearnsSizesAndUidsFromBodiesAndSingleLines) {
  MailboxListing listing;
  listing.FeedBody(MailboxListing::Kind::kUids, "1 whq");
  listing.FeedBody(MailboxListing::Kind::kUids, "tB\r\n2 QhdPYR:00WBw1Ph7x7\r\nbogus\r\n3\r\n");
  listing.EndBody(MailboxListing::Kind::kUids);
  listing.AddLine(MailboxListing::Kind::kSizes, "2 200 extra");
  EXPECT_EQ(listing.uid(1).value_or(""), "whqtB");
  EXPECT_EQ(listing.uid(2).value_or(""), "QhdPYR:00WBw1Ph7x7");
  EXPECT_FALSE(listing.uid(3));
  EXPECT_EQ(listing.size(2).value_or(0), 200u);
  EXPECT_FALSE(listing.size(1));
}

TEST(Pop3RetrievalTee, RetrStreamsIntoOneCapture) {
  FakeSink sink;
  auto tee = RetrievalTee::ForRetr(&sink, {});
  ASSERT_EQ(sink.entries.size(), 0u);  // Begin happens with the first bytes
  ASSERT_TRUE(tee->Append("Subject: a\r\n\r\n").ok());
  ASSERT_TRUE(tee->Append("body\r\n").ok());
  std::unique_ptr<archive::Capture> capture;
  std::string why;
  ASSERT_TRUE(tee->Finish(&capture, &why).ok());
  ASSERT_TRUE(capture);
  ASSERT_TRUE(capture->Commit({}).ok());
  ASSERT_EQ(sink.entries.size(), 1u);
  EXPECT_EQ(sink.entries[0]->bytes, "Subject: a\r\n\r\nbody\r\n");
  EXPECT_TRUE(sink.entries[0]->committed);
}

TEST(Pop3RetrievalTee, EmptyRetrIsStillArchived) {
  FakeSink sink;
  auto tee = RetrievalTee::ForRetr(&sink, {});
  std::unique_ptr<archive::Capture> capture;
  std::string why;
  ASSERT_TRUE(tee->Finish(&capture, &why).ok());
  EXPECT_TRUE(capture);
}

TEST(Pop3RetrievalTee, TopIsArchivedOnlyWhenWhole) {
  const std::string message = "Subject: a\r\n\r\nl1\r\nl2\r\nl3\r\n";
  struct Case {
    uint32_t lines;
    std::string returned;
    std::optional<uint64_t> listed;
    bool archived;
  } cases[] = {
      {0, "Subject: a\r\n\r\n", std::nullopt, false},        // headers only
      {2, "Subject: a\r\n\r\nl1\r\nl2\r\n", std::nullopt, false},
      {3, message, std::nullopt, false},                      // ambiguous without LIST size
      {3, message, message.size(), true},                     // LIST size proves it
      {4, message, std::nullopt, true},                       // fewer lines than asked
      {0, "Subject: a\r\n\r\n", uint64_t{14}, true},          // a header-only message, size known
      {1, "Subject: only header\r\n", std::nullopt, true},    // no body at all
  };
  for (const auto& c : cases) {
    FakeSink sink;
    auto tee = RetrievalTee::ForTop(&sink, {}, c.lines, c.listed);
    ASSERT_TRUE(tee->Append(c.returned).ok());
    std::unique_ptr<archive::Capture> capture;
    std::string why;
    ASSERT_TRUE(tee->Finish(&capture, &why).ok());
    EXPECT_EQ(capture != nullptr, c.archived) << c.lines << " " << c.returned;
    if (capture) {
      EXPECT_EQ(sink.entries[0]->bytes, c.returned);
    } else {
      EXPECT_TRUE(sink.entries.empty()) << "a small partial TOP never touches the spool";
    }
  }
}

TEST(Pop3RetrievalTee, LargePartialTopSpillsThenAborts) {
  FakeSink sink;
  auto tee = RetrievalTee::ForTop(&sink, {}, 1, std::nullopt);
  std::string header = "X-Big: " + std::string(kTopHoldBytes, 'h') + "\r\n\r\n";
  ASSERT_TRUE(tee->Append(header).ok());
  ASSERT_EQ(sink.entries.size(), 1u);
  ASSERT_TRUE(tee->Append("line1\r\n").ok());
  std::unique_ptr<archive::Capture> capture;
  std::string why;
  ASSERT_TRUE(tee->Finish(&capture, &why).ok());
  EXPECT_FALSE(capture);
  EXPECT_TRUE(sink.entries[0]->aborted);
  EXPECT_FALSE(sink.entries[0]->committed);
}

TEST(Pop3RetrievalTee, AppendFailureAbortsAndReportsError) {
  FakeSink sink;
  auto tee = RetrievalTee::ForRetr(&sink, {});
  sink.fail_append = true;
  EXPECT_FALSE(tee->Append("x").ok());
  EXPECT_TRUE(sink.entries[0]->aborted);
  std::unique_ptr<archive::Capture> capture;
  std::string why;
  EXPECT_FALSE(tee->Finish(&capture, &why).ok());
  EXPECT_FALSE(capture);
}

TEST(Pop3RetrievalTee, DroppedTeeAbortsItsCapture) {
  FakeSink sink;
  {
    auto tee = RetrievalTee::ForRetr(&sink, {});
    ASSERT_TRUE(tee->Append("partial").ok());
  }
  EXPECT_TRUE(sink.entries[0]->aborted);
}

}  // namespace
}  // namespace mailtee::pop3
