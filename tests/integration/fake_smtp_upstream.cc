#include "tests/integration/fake_smtp_upstream.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <optional>
#include <sstream>

#include <openssl/hmac.h>
#include <openssl/md5.h>

#include "proxy/smtp/sasl.h"

namespace mailtee::smtp_testing {

// One provider-side connection: blocking I/O, plaintext or TLS.
class FakeSmtpUpstream::Conn {
 public:
  explicit Conn(int fd) : fd_(fd) {}
  ~Conn() {
    if (ssl_) SSL_free(ssl_);
  }
  bool StartTls(SSL_CTX* ctx) {
    ssl_ = SSL_new(ctx);
    SSL_set_fd(ssl_, fd_);
    buffer_.clear();  // plaintext pipelined after STARTTLS is discarded
    return SSL_accept(ssl_) == 1;
  }
  bool Write(std::string_view s) {
    while (!s.empty()) {
      int n = ssl_ ? SSL_write(ssl_, s.data(), static_cast<int>(s.size()))
                   : static_cast<int>(send(fd_, s.data(), s.size(), MSG_NOSIGNAL));
      if (n <= 0) return false;
      s.remove_prefix(n);
    }
    return true;
  }
  // Reads more bytes into buffer_; false at EOF/error.
  bool Fill() {
    char buf[65536];
    int n = ssl_ ? SSL_read(ssl_, buf, sizeof buf) : static_cast<int>(recv(fd_, buf, sizeof buf, 0));
    if (n <= 0) return false;
    buffer_.append(buf, n);
    return true;
  }
  std::optional<std::string> ReadLine() {
    while (true) {
      size_t lf = buffer_.find("\r\n");
      if (lf != std::string::npos) {
        std::string line = buffer_.substr(0, lf);
        buffer_.erase(0, lf + 2);
        return line;
      }
      if (!Fill()) return std::nullopt;
    }
  }
  std::string& buffer() { return buffer_; }

 private:
  int fd_;
  SSL* ssl_ = nullptr;
  std::string buffer_;
};

uint64_t FakeSmtpUpstream::Checksum(uint64_t h, std::string_view bytes) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

FakeSmtpUpstream::FakeSmtpUpstream(Options options) : options_(std::move(options)) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  listen(listen_fd_, 64);
  socklen_t len = sizeof addr;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

FakeSmtpUpstream::~FakeSmtpUpstream() {
  stopping_ = true;
  shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  close(listen_fd_);
  std::vector<std::thread> workers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : open_fds_) shutdown(fd, SHUT_RDWR);
    workers.swap(workers_);
  }
  for (auto& t : workers) t.join();
}

void FakeSmtpUpstream::AcceptLoop() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    int fd = accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      close(fd);
      break;
    }
    ++connections_;
    open_fds_.push_back(fd);
    workers_.emplace_back([this, fd] { Serve(fd); });
    cv_.notify_all();
  }
}

std::vector<std::string> FakeSmtpUpstream::commands() {
  std::lock_guard<std::mutex> lock(mu_);
  return commands_;
}
std::vector<FakeSmtpUpstream::Message> FakeSmtpUpstream::messages() {
  std::lock_guard<std::mutex> lock(mu_);
  return messages_;
}
int FakeSmtpUpstream::connections() {
  std::lock_guard<std::mutex> lock(mu_);
  return connections_;
}
int FakeSmtpUpstream::pipelining_violations() {
  std::lock_guard<std::mutex> lock(mu_);
  return pipelining_violations_;
}

int FakeSmtpUpstream::closed_connections() {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_;
}

bool FakeSmtpUpstream::WaitFor(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(10));
  }
  return pred();
}

namespace {

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string Between(const std::string& s, char open, char close) {
  size_t a = s.find(open), b = s.find(close, a == std::string::npos ? 0 : a);
  if (a == std::string::npos || b == std::string::npos) return "";
  return s.substr(a + 1, b - a - 1);
}

}  // namespace

std::vector<std::string> FakeSmtpUpstream::cram_challenges() {
  std::lock_guard<std::mutex> lock(mu_);
  return cram_challenges_;
}

std::string FakeSmtpUpstream::CramMd5Response(const std::string& user, const std::string& password,
                                              const std::string& challenge) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_md5(), password.data(), password.size(), reinterpret_cast<const unsigned char*>(challenge.data()),
       challenge.size(), digest, &len);
  static const char kHex[] = "0123456789abcdef";
  std::string text = user + " ";
  for (unsigned int i = 0; i < len; ++i) {
    text += kHex[digest[i] >> 4];
    text += kHex[digest[i] & 15];
  }
  return smtp::Base64Encode(text);
}

void FakeSmtpUpstream::Serve(int fd) {
  Conn conn(fd);
  auto record = [this](const std::string& line) {
    std::lock_guard<std::mutex> lock(mu_);
    commands_.push_back(line);
    cv_.notify_all();
  };
  auto check_login = [this](const std::string& user, const std::string& pass) {
    auto it = options_.users.find(user);
    return it != options_.users.end() && it->second == pass;
  };
  bool ok = true;
  if (options_.silent) {
    while (conn.Fill()) {
    }
    ok = false;
  }
  if (ok && options_.implicit_tls) ok = conn.StartTls(options_.starttls);
  if (ok) ok = conn.Write(options_.greeting + "\r\n");
  std::string from;
  std::vector<std::string> rcpts;
  Message bdat;
  bool bdat_open = false;
  while (ok) {
    auto line = conn.ReadLine();
    if (!line) break;
    record(*line);
    bool offers_pipelining =
        std::find(options_.ehlo_extensions.begin(), options_.ehlo_extensions.end(), "PIPELINING") !=
        options_.ehlo_extensions.end();
    if (!offers_pipelining && !conn.buffer().empty()) {
      std::lock_guard<std::mutex> lock(mu_);
      ++pipelining_violations_;
    }
    std::string upper = Upper(*line);
    std::string verb = upper.substr(0, upper.find(' '));
    if (verb == "EHLO" && options_.refuse_ehlo) {
      ok = conn.Write("502 5.5.2 Error: command not recognized\r\n");
    } else if (verb == "EHLO") {
      std::string reply = "250-fake.provider greets " + line->substr(std::min<size_t>(5, line->size())) + "\r\n";
      std::vector<std::string> ext = options_.ehlo_extensions;
      if (options_.starttls && !options_.implicit_tls) ext.push_back("STARTTLS");
      for (size_t i = 0; i < ext.size(); ++i) reply += (i + 1 < ext.size() ? "250-" : "250 ") + ext[i] + "\r\n";
      if (ext.empty()) reply = "250 fake.provider\r\n";
      ok = conn.Write(reply);
    } else if (verb == "HELO") {
      ok = conn.Write("250 fake.provider\r\n");
    } else if (verb == "STARTTLS") {
      ok = conn.Write("220 2.0.0 Ready to start TLS\r\n" + options_.after_starttls_ready) &&
           conn.StartTls(options_.starttls);
    } else if (verb == "AUTH") {
      std::string mech = upper.size() > 5 ? upper.substr(5, upper.find(' ', 5) - 5) : "";
      std::string initial = upper.find(' ', 5) != std::string::npos ? line->substr(line->find(' ', 5) + 1) : "";
      bool good = false;
      if (mech == "PLAIN") {
        if (initial.empty()) {
          ok = conn.Write("334 \r\n");
          auto resp = conn.ReadLine();
          if (!resp) break;
          record(*resp);
          initial = *resp;
        }
        auto decoded = smtp::Base64Decode(initial);
        if (decoded) {
          size_t a = decoded->find('\0'), b = decoded->find('\0', a + 1);
          if (a != std::string::npos && b != std::string::npos)
            good = check_login(decoded->substr(a + 1, b - a - 1), decoded->substr(b + 1));
        }
      } else if (mech == "LOGIN") {
        std::string user_b64 = initial;
        if (user_b64.empty()) {
          ok = conn.Write("334 VXNlcm5hbWU6\r\n");
          auto u = conn.ReadLine();
          if (!u) break;
          record(*u);
          user_b64 = *u;
        }
        ok = conn.Write("334 UGFzc3dvcmQ6\r\n");
        auto p = conn.ReadLine();
        if (!p) break;
        record(*p);
        auto user = smtp::Base64Decode(user_b64);
        auto pass = smtp::Base64Decode(*p);
        good = user && pass && check_login(*user, *pass);
      } else if (mech == "CRAM-MD5") {
        std::string challenge;
        {
          std::lock_guard<std::mutex> lock(mu_);
          challenge = "<" + std::to_string(cram_challenges_.size() + 1000) + "." + std::to_string(time(nullptr)) +
                      "@fake.provider>";
          cram_challenges_.push_back(challenge);
        }
        ok = conn.Write("334 " + smtp::Base64Encode(challenge) + "\r\n");
        auto resp = conn.ReadLine();
        if (!resp) break;
        record(*resp);
        auto decoded = smtp::Base64Decode(*resp);
        if (decoded) {
          size_t space = decoded->rfind(' ');
          if (space != std::string::npos) {
            std::string user = decoded->substr(0, space);
            auto it = options_.users.find(user);
            good = it != options_.users.end() && CramMd5Response(user, it->second, challenge) == *resp;
          }
        }
      } else {
        ok = conn.Write("504 5.5.4 mechanism not available here\r\n");
        continue;
      }
      ok = conn.Write(good ? "235 2.7.0 Authentication successful\r\n" : "535 5.7.8 Error: authentication failed\r\n");
    } else if (verb == "MAIL") {
      from = Between(*line, '<', '>');
      rcpts.clear();
      ok = conn.Write("250 2.1.0 Ok\r\n");
    } else if (verb == "RCPT") {
      std::string to = Between(*line, '<', '>');
      if (options_.rejected_recipients.count(to)) {
        ok = conn.Write("550 5.1.1 <" + to + ">: Recipient address rejected\r\n");
      } else {
        rcpts.push_back(to);
        ok = conn.Write("250 2.1.5 Ok\r\n");
      }
    } else if (verb == "DATA") {
      if (rcpts.empty()) {
        ok = conn.Write("554 5.5.1 Error: no valid recipients\r\n");
        continue;
      }
      ok = conn.Write("354 End data with <CR><LF>.<CR><LF>\r\n");
      if (options_.stall_in_data) {
        while (!stopping_) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        break;
      }
      Message m;
      m.from = from;
      m.recipients = rcpts;
      m.checksum = kChecksumSeed;
      // Strict end of data: CRLF "." CRLF (or "." CRLF as the first line).
      std::string& buf = conn.buffer();
      bool at_start = true;
      while (ok) {
        size_t end = std::string::npos;
        if (at_start && buf.compare(0, 3, ".\r\n") == 0) end = 0;
        else {
          size_t k = buf.find("\r\n.\r\n");
          if (k != std::string::npos) end = k + 2;
        }
        if (end != std::string::npos) {
          std::string_view part(buf.data(), end);
          m.size += part.size();
          m.checksum = Checksum(m.checksum, part);
          if (options_.record_data) m.data.append(part);
          buf.erase(0, end + 3);
          m.complete = true;
          break;
        }
        // Keep the last 4 bytes: they may begin the terminator.
        if (buf.size() > 4) {
          size_t keep = 4;
          std::string_view part(buf.data(), buf.size() - keep);
          m.size += part.size();
          m.checksum = Checksum(m.checksum, part);
          if (options_.record_data) m.data.append(part);
          buf.erase(0, buf.size() - keep);
          at_start = false;
        }
        if (!conn.Fill()) break;
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        messages_.push_back(m);
        cv_.notify_all();
      }
      if (!m.complete || options_.close_after_dot) break;
      if (options_.data_reply_delay_ms > 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(options_.data_reply_delay_ms));
      ok = conn.Write(options_.data_reply + "\r\n" +
                      (options_.after_data_reply.empty() ? "" : options_.after_data_reply + "\r\n"));
      rcpts.clear();
    } else if (verb == "BDAT") {
      // RFC 3030: exactly n bytes follow, no dot handling.
      std::istringstream args(upper.substr(4));
      uint64_t n = 0;
      std::string last_word;
      args >> n >> last_word;
      bool last = last_word == "LAST";
      if (!bdat_open) {
        bdat = Message();
        bdat.from = from;
        bdat.recipients = rcpts;
        bdat.checksum = kChecksumSeed;
        bdat_open = true;
      }
      std::string& buf = conn.buffer();
      uint64_t remaining = n;
      while (remaining > 0) {
        if (buf.empty() && !conn.Fill()) break;
        size_t take = static_cast<size_t>(std::min<uint64_t>(remaining, buf.size()));
        std::string_view part(buf.data(), take);
        bdat.size += take;
        bdat.checksum = Checksum(bdat.checksum, part);
        if (options_.record_data) bdat.data.append(part);
        buf.erase(0, take);
        remaining -= take;
      }
      if (remaining > 0) break;  // connection lost inside the chunk
      if (last) {
        bdat.complete = true;
        bdat_open = false;
        {
          std::lock_guard<std::mutex> lock(mu_);
          messages_.push_back(bdat);
          cv_.notify_all();
        }
        rcpts.clear();
        ok = conn.Write(options_.data_reply + "\r\n");
      } else if (!options_.bdat_chunk_reply.empty()) {
        ok = conn.Write(options_.bdat_chunk_reply + "\r\n");
      } else {
        ok = conn.Write("250 2.0.0 " + std::to_string(n) + " octets received\r\n");
      }
    } else if (verb == "RSET") {
      rcpts.clear();
      ok = conn.Write("250 2.0.0 Ok\r\n");
    } else if (verb == "NOOP") {
      if (options_.noop_delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(options_.noop_delay_ms));
      ok = conn.Write("250 2.0.0 Ok\r\n");
    } else if (verb == "VRFY") {
      ok = conn.Write("252 2.0.0 cannot verify\r\n");
    } else if (verb == "QUIT") {
      conn.Write("221 2.0.0 Bye\r\n");
      break;
    } else {
      ok = conn.Write("502 5.5.2 Error: command not recognized\r\n");
    }
  }
  if (bdat_open) {
    std::lock_guard<std::mutex> lock(mu_);
    messages_.push_back(bdat);  // incomplete: LAST never arrived
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    open_fds_.erase(std::remove(open_fds_.begin(), open_fds_.end(), fd), open_fds_.end());
    ++closed_;
    cv_.notify_all();
  }
  shutdown(fd, SHUT_RDWR);
  close(fd);
}

}  // namespace mailtee::smtp_testing
