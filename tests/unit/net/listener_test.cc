// TcpListener: port 0, per-IP cap with a protocol-level refusal, slot release.
#include "proxy/net/discard.h"
#include "tests/unit/net/net_test_util.h"

namespace mailtee::net::testing {
namespace {

using ListenerTest = NetTest;

TEST_F(ListenerTest, BadAddressAndBusyPortAreClearErrors) {
  std::unique_ptr<TcpListener> l;
  Status s = TcpListener::Listen(&loop_, "not-an-ip", 0, 0, [](std::unique_ptr<Stream>) {}, &l);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("not an IPv4 or IPv6 address"), std::string::npos) << s.message();

  StartListener();
  s = TcpListener::Listen(&loop_, "127.0.0.1", listener_->port(), 0, [](std::unique_ptr<Stream>) {}, &l);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "listen on 127.0.0.1:" + std::to_string(listener_->port()) +
                             " failed: address already in use (EADDRINUSE)");
}

TEST_F(ListenerTest, PerIpCapRejectsWithAProtocolReplyAndReleasesSlotsWhenTheSocketCloses) {
  StartListener(/*cap=*/2);
  std::vector<std::string> reasons;
  listener_->set_on_rejected([&](std::unique_ptr<Stream> s, const std::string& reason) {
    reasons.push_back(reason);
    Peer* p = Adopt(std::move(s));
    p->stream->Write("421 4.7.0 too many connections from your address\r\n");
    p->stream->Close();
  });
  Peer* a = ConnectClient();
  Peer* b = ConnectClient();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(listener_->connections_from("127.0.0.1"), 2);

  // The third is refused with a reply, then closed.
  Status result = Status::Error("pending");
  std::unique_ptr<Stream> third;
  Connect(&loop_, "127.0.0.1", listener_->port(), 5, [&](Status s, std::unique_ptr<Stream> st) {
    result = s;
    third = std::move(st);
  });
  ASSERT_TRUE(RunUntil([&] { return third != nullptr; }));
  Peer* c = Adopt(std::move(third));
  ASSERT_TRUE(RunUntil([&] { return c->eof; }));
  EXPECT_EQ(c->received, "421 4.7.0 too many connections from your address\r\n");
  ASSERT_EQ(reasons.size(), 1u);
  EXPECT_EQ(reasons[0], "too many connections from 127.0.0.1 (limit 2)");
  EXPECT_EQ(accepted_.size(), 2u);
  EXPECT_EQ(listener_->connections_from("127.0.0.1"), 2);

  // The slot is freed as soon as the socket is closed, before the owner gets
  // round to destroying the stream (a client reconnecting right after QUIT
  // must not be refused because of its own finished connection).
  Peer* first_server = accepted_[0];
  first_server->stream->Close();
  EXPECT_EQ(listener_->connections_from("127.0.0.1"), 2);  // still flushing
  ASSERT_TRUE(RunUntil([&] { return first_server->closed; }));
  EXPECT_EQ(listener_->connections_from("127.0.0.1"), 1);
  first_server->stream.reset();
  EXPECT_EQ(listener_->connections_from("127.0.0.1"), 1);  // released once only

  Peer* d = ConnectClient();
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(accepted_.size(), 3u);
  EXPECT_EQ(listener_->connections_from("127.0.0.1"), 2);
}

TEST_F(ListenerTest, RejectHookCanWriteAndDiscard) {
  StartListener(/*cap=*/1);
  listener_->set_on_rejected([](std::unique_ptr<Stream> s, const std::string&) {
    s->Write("-ERR [SYS/TEMP] too many connections\r\n");
    CloseAndDiscard(std::move(s));  // flushes, then frees itself
  });
  Peer* a = ConnectClient();
  ASSERT_NE(a, nullptr);
  std::unique_ptr<Stream> second;
  Connect(&loop_, "127.0.0.1", listener_->port(), 5,
          [&](Status, std::unique_ptr<Stream> st) { second = std::move(st); });
  ASSERT_TRUE(RunUntil([&] { return second != nullptr; }));
  Peer* b = Adopt(std::move(second));
  ASSERT_TRUE(RunUntil([&] { return b->eof; }));
  EXPECT_EQ(b->received, "-ERR [SYS/TEMP] too many connections\r\n");
}

TEST_F(ListenerTest, WithoutHookExcessConnectionsAreClosedAtOnce) {
  StartListener(/*cap=*/1);
  Peer* a = ConnectClient();
  ASSERT_NE(a, nullptr);
  Status result = Status::Error("pending");
  std::unique_ptr<Stream> second;
  Connect(&loop_, "127.0.0.1", listener_->port(), 5, [&](Status s, std::unique_ptr<Stream> st) {
    second = std::move(st);
  });
  ASSERT_TRUE(RunUntil([&] { return second != nullptr; }));
  Peer* b = Adopt(std::move(second));
  ASSERT_TRUE(RunUntil([&] { return b->eof || !b->error.ok(); }));
  EXPECT_EQ(accepted_.size(), 1u);
}

TEST_F(ListenerTest, CloseReportsAndStreamsOutliveTheListener) {
  StartListener();
  Peer* client = ConnectClient();
  ASSERT_NE(client, nullptr);
  bool closed = false;
  listener_->Close([&] { closed = true; });
  ASSERT_TRUE(RunUntil([&] { return closed; }));
  listener_.reset();
  accepted_[0]->on_data = [](Peer& p, std::string_view d) { p.stream->Write(d); };
  client->stream->Write("still here");
  ASSERT_TRUE(RunUntil([&] { return client->received == "still here"; }));
}

}  // namespace
}  // namespace mailtee::net::testing
