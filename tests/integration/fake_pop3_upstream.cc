#include "tests/integration/fake_pop3_upstream.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/base64.h>
#include <openssl/md5.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace mailtee::testing {
namespace {

// One connection, plaintext or TLS, with line reads.
class Conn {
 public:
  Conn(int fd, std::atomic<uint64_t>* sent) : fd_(fd), sent_(sent) {}
  ~Conn() {
    if (ssl_) SSL_free(ssl_);
  }
  bool StartTls(SSL_CTX* ctx) {
    ssl_ = SSL_new(ctx);
    SSL_set_fd(ssl_, fd_);
    buffer_.clear();  // plaintext sent before the handshake is not trusted
    return SSL_accept(ssl_) == 1;
  }
  bool Write(const std::string& bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
      // At most 64 KiB per call, so bytes_sent() follows the kernel's progress.
      size_t piece = std::min<size_t>(bytes.size() - off, 65536);
      int n = ssl_ ? SSL_write(ssl_, bytes.data() + off, static_cast<int>(piece))
                   : static_cast<int>(::send(fd_, bytes.data() + off, piece, MSG_NOSIGNAL));
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
      *sent_ += static_cast<uint64_t>(n);
    }
    return true;
  }
  bool ReadLine(std::string* line) {
    for (;;) {
      size_t lf = buffer_.find('\n');
      if (lf != std::string::npos) {
        *line = buffer_.substr(0, lf);
        if (!line->empty() && line->back() == '\r') line->pop_back();
        buffer_.erase(0, lf + 1);
        return true;
      }
      char chunk[16384];
      int n = ssl_ ? SSL_read(ssl_, chunk, sizeof chunk) : static_cast<int>(::recv(fd_, chunk, sizeof chunk, 0));
      if (n <= 0) return false;
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

 private:
  int fd_;
  std::atomic<uint64_t>* sent_;
  SSL* ssl_ = nullptr;
  std::string buffer_;
};

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string FakePop3Upstream::Stuffed(const std::string& message) {
  std::string out;
  size_t pos = 0;
  while (pos < message.size()) {
    size_t lf = message.find('\n', pos);
    size_t end = lf == std::string::npos ? message.size() : lf + 1;
    if (message[pos] == '.') out += '.';
    out.append(message, pos, end - pos);
    pos = end;
  }
  out += ".\r\n";
  return out;
}

std::string FakePop3Upstream::ApopDigest(const std::string& timestamp, const std::string& password) {
  std::string secret = timestamp + password;
  uint8_t md[MD5_DIGEST_LENGTH];
  MD5(reinterpret_cast<const uint8_t*>(secret.data()), secret.size(), md);
  char hex[2 * MD5_DIGEST_LENGTH + 1];
  for (int i = 0; i < MD5_DIGEST_LENGTH; ++i) snprintf(hex + 2 * i, 3, "%02x", md[i]);
  return hex;
}

FakePop3Upstream::FakePop3Upstream(FakeMailbox mailbox, FakePop3Options options)
    : mailbox_(std::move(mailbox)), options_(std::move(options)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 16) != 0) {
    throw std::runtime_error("fake POP3 upstream: bind/listen failed");
  }
  socklen_t len = sizeof addr;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  accept_thread_ = std::thread([this] { AcceptLoop(); });
}

FakePop3Upstream::~FakePop3Upstream() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  ::close(listen_fd_);
  accept_thread_.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    threads.swap(connections_);
  }
  for (auto& t : threads) t.join();
}

std::vector<std::string> FakePop3Upstream::commands() const {
  std::lock_guard<std::mutex> lock(mu_);
  return commands_;
}

bool FakePop3Upstream::received(const std::string& line) const {
  auto all = commands();
  return std::find(all.begin(), all.end(), line) != all.end();
}

void FakePop3Upstream::AcceptLoop() {
  while (!stopping_) {
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::lock_guard<std::mutex> lock(mu_);
    open_fds_.push_back(fd);
    connections_.emplace_back([this, fd] { Serve(fd); });
  }
}

void FakePop3Upstream::Serve(int fd) {
  Conn conn(fd, &bytes_sent_);
  bool ok = true;
  if (options_.implicit_tls) ok = conn.StartTls(options_.tls);
  if (ok) conn.Write(options_.greeting + "\r\n");
  std::string user;
  bool authed = false;
  std::vector<bool> deleted(mailbox_.messages.size(), false);
  std::string line;
  while (ok && conn.ReadLine(&line)) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      commands_.push_back(line);
    }
    size_t space = line.find(' ');
    std::string verb = Upper(line.substr(0, space));
    std::string arg = space == std::string::npos ? "" : line.substr(space + 1);
    int n = atoi(arg.c_str());
    bool valid = n >= 1 && n <= static_cast<int>(mailbox_.messages.size()) && !deleted[n - 1];
    if (verb == "CAPA") {
      std::string caps = options_.capa;
      if (options_.tls && !options_.implicit_tls) caps += "STLS\r\n";
      conn.Write("+OK Capability list follows\r\n" + caps + ".\r\n");
    } else if (verb == "STLS" && options_.tls) {
      conn.Write("+OK Begin TLS negotiation\r\n" + options_.after_stls_plaintext);
      ok = conn.StartTls(options_.tls);
    } else if (verb == "USER") {
      user = arg;
      conn.Write("+OK\r\n");
    } else if (verb == "PASS") {
      authed = user == mailbox_.user && arg == mailbox_.password;
      conn.Write(authed ? "+OK logged in\r\n" : "-ERR [AUTH] invalid login\r\n");
    } else if (verb == "APOP") {
      // RFC 1939: digest = MD5(<timestamp from the greeting> + password), hex.
      size_t open = options_.greeting.find('<');
      std::string stamp = options_.greeting.substr(open, options_.greeting.find('>', open) - open + 1);
      authed = arg == mailbox_.user + " " + ApopDigest(stamp, mailbox_.password);
      conn.Write(authed ? "+OK maildrop locked\r\n" : "-ERR [AUTH] permission denied\r\n");
    } else if (verb == "AUTH" && Upper(arg) == "LOGIN") {
      std::string user64, pass64;
      conn.Write("+ VXNlcm5hbWU6\r\n");
      if (!conn.ReadLine(&user64)) break;
      if (user64 == "*") {
        conn.Write("-ERR cancelled\r\n");
        continue;
      }
      conn.Write("+ UGFzc3dvcmQ6\r\n");
      if (!conn.ReadLine(&pass64)) break;
      auto decode = [](const std::string& in) {
        uint8_t out[512];
        size_t len = 0;
        if (!EVP_DecodeBase64(out, &len, sizeof out, reinterpret_cast<const uint8_t*>(in.data()), in.size())) return std::string();
        return std::string(reinterpret_cast<char*>(out), len);
      };
      authed = decode(user64) == mailbox_.user && decode(pass64) == mailbox_.password;
      conn.Write(authed ? "+OK logged in\r\n" : "-ERR [AUTH] invalid login\r\n");
    } else if (verb == "AUTH" && Upper(arg).rfind("PLAIN", 0) == 0) {
      std::string response = arg.size() > 6 ? arg.substr(6) : "";
      if (response.empty()) {
        conn.Write("+ \r\n");
        if (!conn.ReadLine(&response)) break;
      }
      std::string expected = std::string("\0", 1) + mailbox_.user + std::string("\0", 1) + mailbox_.password;
      uint8_t decoded[512];
      size_t len = 0;
      authed = EVP_DecodeBase64(decoded, &len, sizeof decoded, reinterpret_cast<const uint8_t*>(response.data()),
                                response.size()) &&
               std::string(reinterpret_cast<char*>(decoded), len) == expected;
      conn.Write(authed ? "+OK logged in\r\n" : "-ERR [AUTH] invalid login\r\n");
    } else if (verb == "QUIT") {
      conn.Write("+OK bye\r\n");
      break;
    } else if (!authed) {
      conn.Write("-ERR not logged in\r\n");
    } else if (verb == "STAT") {
      size_t total = 0, count = 0;
      for (size_t i = 0; i < deleted.size(); ++i) {
        if (!deleted[i]) total += mailbox_.messages[i].size(), ++count;
      }
      conn.Write("+OK " + std::to_string(count) + " " + std::to_string(total) + "\r\n");
    } else if ((verb == "LIST" || verb == "UIDL") && arg.empty()) {
      std::string out = "+OK\r\n";
      for (size_t i = 0; i < deleted.size(); ++i) {
        if (deleted[i]) continue;
        out += std::to_string(i + 1) + " " +
               (verb == "LIST" ? std::to_string(mailbox_.messages[i].size()) : "uid-" + std::to_string(i + 1)) + "\r\n";
      }
      conn.Write(out + ".\r\n");
    } else if ((verb == "LIST" || verb == "UIDL") && valid) {
      conn.Write("+OK " + std::to_string(n) + " " +
                 (verb == "LIST" ? std::to_string(mailbox_.messages[n - 1].size()) : "uid-" + std::to_string(n)) +
                 "\r\n");
    } else if (verb == "RETR" && valid) {
      std::string body = Stuffed(mailbox_.messages[n - 1]);
      if (n == options_.cut_retr_of) {
        conn.Write("+OK message follows\r\n" + body.substr(0, body.size() / 2));
        break;
      }
      conn.Write("+OK " + std::to_string(mailbox_.messages[n - 1].size()) + " octets\r\n" + body);
    } else if (verb == "TOP" && valid) {
      int lines = atoi(arg.substr(arg.find(' ') + 1).c_str());
      const std::string& m = mailbox_.messages[n - 1];
      size_t header_end = m.find("\r\n\r\n");
      size_t end = header_end == std::string::npos ? m.size() : header_end + 4;
      for (int i = 0; i < lines && end < m.size(); ++i) {
        size_t lf = m.find('\n', end);
        end = lf == std::string::npos ? m.size() : lf + 1;
      }
      conn.Write("+OK top of message follows\r\n" + Stuffed(m.substr(0, end)));
    } else if (verb == "DELE" && valid) {
      deleted[n - 1] = true;
      conn.Write("+OK deleted\r\n");
    } else if (verb == "NOOP" || verb == "RSET") {
      if (verb == "RSET") std::fill(deleted.begin(), deleted.end(), false);
      conn.Write("+OK\r\n");
    } else {
      conn.Write("-ERR no such message or command\r\n");
    }
  }
  ::shutdown(fd, SHUT_RDWR);
  {
    std::lock_guard<std::mutex> lock(mu_);
    open_fds_.erase(std::remove(open_fds_.begin(), open_fds_.end(), fd), open_fds_.end());
  }
  ::close(fd);
}

}  // namespace mailtee::testing
