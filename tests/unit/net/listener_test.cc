// TcpListener: port 0, per-IP cap with a protocol-level refusal, slot release,
// IPv6 counted per /64, the listener-wide cap, running out of descriptors.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proxy/net/discard.h"
#include "proxy/net/peer_address.h"
#include "tests/unit/net/net_test_util.h"

namespace mailtee::net::testing {
namespace {

class ListenerTest : public NetTest {
 protected:
  // Connects without waiting for an accept (the listener may refuse it).
  Peer* ConnectRefusable(const std::string& host = "127.0.0.1") {
    std::unique_ptr<Stream> stream;
    Connect(&loop_, host, listener_->port(), 5, [&](Status, std::unique_ptr<Stream> st) { stream = std::move(st); });
    if (!RunUntil([&] { return stream != nullptr; })) return nullptr;
    return Adopt(std::move(stream));
  }
};

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

TEST(ConnectionCapKey, Ipv6IsKeyedByItsSlash64AndIpv4ByItsAddress) {
  EXPECT_EQ(ConnectionCapKey("2001:db8:1:2::5"), "2001:db8:1:2::/64");
  EXPECT_EQ(ConnectionCapKey("2001:db8:1:2:ffff:ffff:ffff:ffff"), "2001:db8:1:2::/64");
  EXPECT_EQ(ConnectionCapKey("2001:db8:1:3::5"), "2001:db8:1:3::/64");
  EXPECT_EQ(ConnectionCapKey("::1"), "::/64");
  EXPECT_EQ(ConnectionCapKey("192.0.2.7"), "192.0.2.7");
  sockaddr_in6 mapped{};
  mapped.sin6_family = AF_INET6;
  inet_pton(AF_INET6, "::ffff:192.0.2.7", &mapped.sin6_addr);
  EXPECT_EQ(ConnectionCapKey(PeerAddressFromSockaddr(reinterpret_cast<sockaddr*>(&mapped))), "192.0.2.7");
}

TEST_F(ListenerTest, Ipv6ClientsInOneSlash64ShareThePerIpCap) {
  StartListener(/*cap=*/1, "::1");
  std::vector<std::string> reasons;
  listener_->set_on_rejected([&](std::unique_ptr<Stream> s, const std::string& reason) {
    reasons.push_back(reason);
    CloseAndDiscard(std::move(s));
  });
  ASSERT_NE(ConnectClient("::1"), nullptr);
  EXPECT_EQ(listener_->connections_from("::1"), 1);
  EXPECT_EQ(listener_->connections_from("::abcd:1"), 1);  // another address of ::/64 counts the same
  EXPECT_EQ(listener_->connections_from("2001:db8::1"), 0);
  Peer* second = ConnectRefusable("::1");
  ASSERT_NE(second, nullptr);
  ASSERT_TRUE(RunUntil([&] { return !reasons.empty(); }));
  EXPECT_EQ(reasons[0], "too many connections from ::/64 (limit 1)");
  EXPECT_EQ(accepted_.size(), 1u);
}

TEST_F(ListenerTest, ListenerWideCapRefusesTheNextClient) {
  StartListener(/*cap=*/0);
  listener_->set_max_connections(2);
  std::vector<std::string> reasons, logged;
  listener_->set_on_rejected([&](std::unique_ptr<Stream> s, const std::string& reason) {
    reasons.push_back(reason);
    s->Write("421 4.7.0 " + reason + "\r\n");
    CloseAndDiscard(std::move(s));
  });
  listener_->set_refusal_log([&](const std::string& client, const std::string& reason, uint64_t more) {
    logged.push_back(client + " " + reason + " more=" + std::to_string(more));
  });
  ASSERT_NE(ConnectClient(), nullptr);
  ASSERT_NE(ConnectClient(), nullptr);
  EXPECT_EQ(listener_->connections(), 2);
  Peer* third = ConnectRefusable();
  ASSERT_NE(third, nullptr);
  ASSERT_TRUE(RunUntil([&] { return third->eof; }));
  EXPECT_EQ(third->received, "421 4.7.0 too many connections (limit 2)\r\n");
  EXPECT_EQ(accepted_.size(), 2u);
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_EQ(logged[0], "127.0.0.1 too many connections (limit 2) more=0");

  // The slot frees when an accepted socket closes.
  accepted_[0]->stream->Close();
  ASSERT_TRUE(RunUntil([&] { return accepted_[0]->closed; }));
  EXPECT_EQ(listener_->connections(), 1);
  ASSERT_NE(ConnectClient(), nullptr);
}

// Reads until EOF (or 5 s) from a blocking socket.
std::string ReadAll(int fd) {
  std::string out;
  char buf[256];
  while (true) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 5000) <= 0) break;
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

TEST_F(ListenerTest, OutOfDescriptorsClientsGetTheBusyReplyAndTheLogIsRateLimited) {
#if defined(__SANITIZE_ADDRESS__)
  // UBSan's vptr check probes memory through a pipe(): with every descriptor
  // taken it cannot, and reports a false "invalid vptr". The release build runs this.
  GTEST_SKIP() << "needs a process whose runtime opens no descriptors (runs in the release build)";
#endif
  StartListener();
  listener_->set_busy_reply("421 4.7.0 mailtee is busy, try again later\r\n");
  std::vector<std::string> logged;
  uint64_t refusals = 0;
  listener_->set_refusal_log(
      [&](const std::string& client, const std::string& reason, uint64_t more) {
        logged.push_back(client + " " + reason + " more=" + std::to_string(more));
        refusals += 1 + more;
      },
      /*interval_ms=*/50);
  constexpr int kClients = 3;
  int fds[kClients];
  for (int& fd : fds) {
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);  // made while descriptors are free
    ASSERT_GE(fd, 0);
  }
  // Lower the soft limit to the lowest free descriptor: every descriptor below
  // it is taken, so the listener's accept() fails with EMFILE.
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  int lowest_free = open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(lowest_free, 0);
  close(lowest_free);
  rlimit low = saved;
  low.rlim_cur = static_cast<rlim_t>(lowest_free);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(listener_->port());
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int fd : fds) EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)), 0);  // into the backlog
  bool all_logged = RunUntil([&] { return refusals == kClients; }, 3000);
  setrlimit(RLIMIT_NOFILE, &saved);
  ASSERT_TRUE(all_logged) << refusals;
  for (int fd : fds) {
    EXPECT_EQ(ReadAll(fd), "421 4.7.0 mailtee is busy, try again later\r\n");
    close(fd);
  }
  EXPECT_TRUE(accepted_.empty());
  // One line at once, the other two held back and written as one line later.
  ASSERT_EQ(logged.size(), 2u);
  EXPECT_EQ(logged[0], "127.0.0.1 out of file descriptors (EMFILE); refused with a busy reply more=0");
  EXPECT_EQ(logged[1], "127.0.0.1 out of file descriptors (EMFILE); refused with a busy reply more=1");

  // Descriptors are back: the listener accepts again after its short backoff.
  ASSERT_NE(ConnectClient(), nullptr);
}

}  // namespace
}  // namespace mailtee::net::testing
