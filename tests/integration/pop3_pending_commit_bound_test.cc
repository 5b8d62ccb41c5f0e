// POP3: a session stops taking commands while kMaxPendingCommits (64) of its
// retrieved messages are still being archived or on their way from the
// provider (proxy/pop3/pop3_session.h), and goes on when a commit finishes.
// A real Pop3Proxy on a libuv loop between the blocking test client and the
// scripted provider, with a sink whose commits wait (on libuv's worker
// threads) until the test lets them through.
//
// What the code bounds, exactly: ParsingBlocked() is checked before each client
// line, and counts pending commits plus RETR/TOP already sent to the provider,
// so with every commit held both a client that waits for each answer and one
// that pipelines get exactly 64 RETRs relayed (each pending message holds two
// open spool files: the cap is hard).
#include <gtest/gtest.h>
#include <uv.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "proxy/net/listener.h"
#include "proxy/pop3/pop3_proxy.h"
#include "proxy/pop3/pop3_session.h"
#include "tests/integration/fake_pop3_upstream.h"
#include "tests/integration/pop3_test_harness.h"

namespace mailtee::testing {
namespace {

using namespace std::chrono_literals;

// Lets commits through one permit at a time, or all of them once opened.
// A commit still waiting after kGateTimeout fails instead of hanging the test.
class CommitGate {
 public:
  static constexpr auto kGateTimeout = 20s;
  ~CommitGate() { OpenAll(); }
  bool Pass() {
    std::unique_lock<std::mutex> lock(mu_);
    bool passed = cv_.wait_for(lock, kGateTimeout, [this] { return open_ || permits_ > 0; });
    if (passed && !open_) --permits_;
    return passed;
  }
  void Release(int n) {
    std::lock_guard<std::mutex> lock(mu_);
    permits_ += n;
    cv_.notify_all();
  }
  void OpenAll() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int permits_ = 0;
  bool open_ = false;
};

// An in-memory sink: captures keep their bytes, Commit waits at the gate.
class GatedSink : public archive::MessageSink {
 public:
  Status Begin(const archive::MessageContext&, std::unique_ptr<archive::Capture>* capture) override;
  CommitGate& gate() { return gate_; }
  int begun() {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(bytes_.size());
  }
  int committed() {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(committed_.size());
  }
  // Bytes of each committed capture, in the order captures began.
  std::vector<std::string> committed_bytes() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> out;
    for (size_t i = 0; i < bytes_.size(); ++i)
      if (is_committed_[i]) out.push_back(bytes_[i]);
    return out;
  }

 private:
  friend class GatedCapture;
  CommitGate gate_;
  std::mutex mu_;
  std::vector<std::string> bytes_;
  std::vector<bool> is_committed_;
  std::vector<size_t> committed_;
};

class GatedCapture : public archive::Capture {
 public:
  GatedCapture(GatedSink* sink, size_t index) : sink_(sink), index_(index), id_("gated-" + std::to_string(index)) {}
  const std::string& id() const override { return id_; }
  Status Append(std::string_view bytes) override {
    size_ += bytes.size();
    std::lock_guard<std::mutex> lock(sink_->mu_);
    sink_->bytes_[index_].append(bytes);
    return Status::Ok();
  }
  uint64_t size() const override { return size_; }
  Status SealForRelay() override { return Status::Ok(); }
  Status Commit(const archive::Outcome&) override {
    if (!sink_->gate_.Pass()) return Status::Error("test: commit gate never opened");
    std::lock_guard<std::mutex> lock(sink_->mu_);
    sink_->is_committed_[index_] = true;
    sink_->committed_.push_back(index_);
    return Status::Ok();
  }
  void Abort(const std::string&) override {}

 private:
  GatedSink* sink_;
  size_t index_;
  std::string id_;
  uint64_t size_ = 0;
};

Status GatedSink::Begin(const archive::MessageContext&, std::unique_ptr<archive::Capture>* capture) {
  std::lock_guard<std::mutex> lock(mu_);
  bytes_.emplace_back();
  is_committed_.push_back(false);
  *capture = std::make_unique<GatedCapture>(this, bytes_.size() - 1);
  return Status::Ok();
}

// Opens the gate when a test ends early (a failed ASSERT), before the proxy's
// drain waits for the commits.
struct OpenGateOnExit {
  CommitGate& gate;
  ~OpenGateOnExit() { gate.OpenAll(); }
};

// The harness's proxy, archiving into `sink`; the held commands must not end
// the session by idle timeout.
void StartGated(Pop3Harness* harness, archive::MessageSink* sink, uint16_t upstream_port) {
  config::Listener listener = Pop3Harness::MakeListener(upstream_port);
  listener.timeouts.idle = 60;
  harness->Start(listener, sink);
}

FakeMailbox Mailbox(int count) {
  FakeMailbox mb;
  for (int i = 1; i <= count; ++i) {
    mb.messages.push_back("From: bob@example.org\r\nSubject: message " + std::to_string(i) +
                          "\r\n\r\nbody of message " + std::to_string(i) + "\r\n.dot-stuffed line\r\n");
  }
  return mb;
}

std::string ExpectedRetr(const FakeMailbox& mb, int n) {
  const std::string& m = mb.messages[static_cast<size_t>(n - 1)];
  return "+OK " + std::to_string(m.size()) + " octets\r\n" + FakePop3Upstream::Stuffed(m);
}

int RetrsSeen(const FakePop3Upstream& upstream) {
  int n = 0;
  for (const std::string& line : upstream.commands())
    if (line.rfind("RETR ", 0) == 0) ++n;
  return n;
}

bool WaitUntil(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// How long a held command is watched to show it does not reach the provider.
constexpr auto kHeldFor = 500ms;

void Login(Pop3TestClient& c) {
  ASSERT_EQ(c.ReadLine().substr(0, 3), "+OK");
  c.Send("USER alice\r\n");
  ASSERT_EQ(c.ReadLine().substr(0, 3), "+OK");
  c.Send("PASS secret\r\n");
  ASSERT_EQ(c.ReadLine(), "+OK logged in\r\n");
}

// A provider with `messages` messages, and a logged-in client through a proxy
// whose sink holds every commit until the test lets it through.
struct GatedSession {
  explicit GatedSession(int messages) : mb(Mailbox(messages)), upstream(mb, {}) {
    StartGated(&proxy, &sink, upstream.port());
    client = std::make_unique<Pop3TestClient>(proxy.port());
    EXPECT_TRUE(client->connected());
    if (client->connected()) Login(*client);
  }
  // After QUIT: the proxy drains (its commits finish), then every message
  // must be archived byte for byte, in order.
  void ExpectAllArchived() {
    proxy.Stop();
    ASSERT_EQ(sink.committed(), static_cast<int>(mb.messages.size()));
    std::vector<std::string> archived = sink.committed_bytes();
    for (size_t i = 0; i < mb.messages.size(); ++i) EXPECT_EQ(archived[i], mb.messages[i]) << "message " << i + 1;
  }
  FakeMailbox mb;
  FakePop3Upstream upstream;
  GatedSink sink;
  Pop3Harness proxy;  // destroyed (drained) after the gate below opens
  OpenGateOnExit open_on_exit{sink.gate()};
  std::unique_ptr<Pop3TestClient> client;
};

static_assert(pop3::kMaxPendingCommits == 64, "the tests below count with 64 pending commits");
static_assert(pop3::kMaxCommandsInFlight == 32, "the pipelined bound below counts with 32 slots");

TEST(Pop3PendingCommitBound, ClientWaitingForEachAnswerGetsExactly64RetrsThenOneMorePerFinishedCommit) {
  constexpr int kMessages = 70;
  GatedSession session(kMessages);
  ASSERT_TRUE(session.client->connected());
  {
    Pop3TestClient& c = *session.client;
    FakeMailbox& mb = session.mb;
    FakePop3Upstream& upstream = session.upstream;
    GatedSink& sink = session.sink;
    // The answers reach the client although nothing is archived yet.
    for (int n = 1; n <= 64; ++n) {
      c.Send("RETR " + std::to_string(n) + "\r\n");
      ASSERT_EQ(c.ReadMultiLine(), ExpectedRetr(mb, n)) << "RETR " << n;
    }
    EXPECT_EQ(RetrsSeen(upstream), 64);
    EXPECT_EQ(sink.committed(), 0);

    // 64 commits pending: RETR 65 is held, not relayed.
    c.Send("RETR 65\r\n");
    std::this_thread::sleep_for(kHeldFor);
    EXPECT_EQ(RetrsSeen(upstream), 64) << "a RETR was relayed while 64 commits were pending";

    // One commit done: RETR 65 goes on (and its own commit makes 64 pending again).
    sink.gate().Release(1);
    ASSERT_TRUE(WaitUntil([&] { return RetrsSeen(upstream) == 65; })) << "held RETR never resumed";
    ASSERT_EQ(c.ReadMultiLine(), ExpectedRetr(mb, 65));
    EXPECT_EQ(sink.committed(), 1);

    c.Send("RETR 66\r\n");
    std::this_thread::sleep_for(kHeldFor);
    EXPECT_EQ(RetrsSeen(upstream), 65) << "a RETR was relayed while 64 commits were pending again";

    sink.gate().OpenAll();
    ASSERT_EQ(c.ReadMultiLine(), ExpectedRetr(mb, 66));
    for (int n = 67; n <= kMessages; ++n) {
      c.Send("RETR " + std::to_string(n) + "\r\n");
      ASSERT_EQ(c.ReadMultiLine(), ExpectedRetr(mb, n)) << "RETR " << n;
    }
    c.Send("QUIT\r\n");
    EXPECT_EQ(c.ReadLine(), "+OK bye\r\n") << "QUIT waits for the commits, then reaches the provider";
    EXPECT_TRUE(upstream.received("QUIT"));
  }
  session.ExpectAllArchived();
}

TEST(Pop3PendingCommitBound, PipelinedRetrsStopAtTheBoundUntilCommitsFinish) {
  constexpr int kMessages = 120;  // more than the most a session can relay while blocked
  GatedSession session(kMessages);
  ASSERT_TRUE(session.client->connected());
  {
    Pop3TestClient& c = *session.client;
    FakeMailbox& mb = session.mb;
    FakePop3Upstream& upstream = session.upstream;
    GatedSink& sink = session.sink;
    std::string pipeline;
    for (int n = 1; n <= kMessages; ++n) pipeline += "RETR " + std::to_string(n) + "\r\n";
    c.Send(pipeline);

    // Blocked: every relayed RETR has been answered (its capture began) and
    // nothing more reaches the provider for a while.
    int relayed = 0;
    ASSERT_TRUE(WaitUntil([&] {
      int seen = RetrsSeen(upstream);
      if (seen < 64 || sink.begun() != seen) return false;
      std::this_thread::sleep_for(kHeldFor);
      relayed = RetrsSeen(upstream);
      return relayed == seen;
    })) << "the session never settled; RETRs seen " << RetrsSeen(upstream);
    RecordProperty("retrs_relayed_while_blocked", relayed);
    EXPECT_EQ(relayed, 64) << "pending commits plus RETRs in flight must never pass 64";
    EXPECT_EQ(sink.committed(), 0);
    for (int n = 1; n <= relayed; ++n) ASSERT_EQ(c.ReadMultiLine(), ExpectedRetr(mb, n)) << "RETR " << n;

    // Commits finish: the held RETRs go on, in order, to the last one.
    sink.gate().OpenAll();
    for (int n = relayed + 1; n <= kMessages; ++n) ASSERT_EQ(c.ReadMultiLine(), ExpectedRetr(mb, n)) << "RETR " << n;
    EXPECT_EQ(RetrsSeen(upstream), kMessages);
    c.Send("QUIT\r\n");
    EXPECT_EQ(c.ReadLine(), "+OK bye\r\n");
  }
  session.ExpectAllArchived();
}

}  // namespace
}  // namespace mailtee::testing
