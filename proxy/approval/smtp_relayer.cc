#include "proxy/approval/smtp_relayer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "proxy/net/stream.h"
#include "proxy/net/timer.h"
#include "proxy/smtp/capabilities.h"
#include "proxy/smtp/reply.h"
#include "proxy/smtp/sasl.h"

namespace mailtee::approval {
namespace {

constexpr size_t kReadChunk = 64 << 10;

// head, then the file in chunks, then tail: the message bytes in order.
class BodySource {
 public:
  explicit BodySource(const RelayMessage& m) : m_(m) {}
  ~BodySource() {
    if (fd_ >= 0) close(fd_);
  }
  // Next chunk into *out; empty *out = end. Error when the file cannot be read.
  Status Next(std::string* out) {
    out->clear();
    while (true) {
      switch (stage_) {
        case 0:
          stage_ = 1;
          if (!m_.head.empty()) {
            *out = m_.head;
            return Status::Ok();
          }
          break;
        case 1: {
          if (m_.file_path.empty()) {
            stage_ = 2;
            break;
          }
          if (fd_ < 0) {
            fd_ = open(m_.file_path.c_str(), O_RDONLY | O_CLOEXEC);
            if (fd_ < 0) return Status::PosixError("open " + m_.file_path, errno);
          }
          out->resize(kReadChunk);
          ssize_t n;
          do {
            n = read(fd_, out->data(), out->size());
          } while (n < 0 && errno == EINTR);
          if (n < 0) return Status::PosixError("read " + m_.file_path, errno);
          if (n == 0) {
            out->clear();
            stage_ = 2;
            break;
          }
          out->resize(static_cast<size_t>(n));
          return Status::Ok();
        }
        case 2:
          stage_ = 3;
          if (!m_.tail.empty()) {
            *out = m_.tail;
            return Status::Ok();
          }
          break;
        default: return Status::Ok();
      }
    }
  }

 private:
  const RelayMessage& m_;
  int stage_ = 0;
  int fd_ = -1;
};

class Relayer {
 public:
  Relayer(uv_loop_t* loop, RelayTarget target, RelayMessage message, std::function<void(const RelayResult&)> done)
      : loop_(loop), target_(std::move(target)), message_(std::move(message)), done_(std::move(done)),
        body_(message_), timer_(loop), reaper_(loop) {
    result_.status = Status::Error("relay to " + Peer() + " did not finish");
  }

  void Start() {
    net::Connect(loop_, target_.host, target_.port, target_.timeout_seconds,
                 [this](Status s, std::unique_ptr<net::Stream> stream) { OnConnected(std::move(s), std::move(stream)); });
  }

 private:
  enum class Step { kGreeting, kEhlo, kStartTls, kEhloAfterTls, kAuthPlain, kAuthLoginUser, kAuthLoginPassword,
                    kMail, kRcpt, kData, kBody, kDot, kQuit };

  std::string Peer() const { return target_.host + ":" + std::to_string(target_.port); }

  void OnConnected(Status s, std::unique_ptr<net::Stream> stream) {
    if (!s.ok()) {
      result_.status = s.WithContext("while relaying");
      Complete();
      return;
    }
    stream_ = std::move(stream);
    net::Stream::Callbacks cb;
    cb.on_data = [this](std::string_view bytes) { OnData(bytes); };
    cb.on_drained = [this] {
      if (step_ == Step::kBody && waiting_for_drain_) {
        waiting_for_drain_ = false;
        PumpBody();
      }
    };
    cb.on_error = [this](const Status& e) { Fail(e.WithContext("while relaying to " + Peer())); };
    cb.on_eof = [this] { Fail(Status::Error("provider " + Peer() + " closed the connection")); };
    cb.on_closed = [this] { Complete(); };
    stream_->SetCallbacks(std::move(cb));
    if (target_.tls == config::TlsMode::kImplicit) {
      StartTls();
    }
    step_ = Step::kGreeting;
    ArmTimer("greeting");
  }

  void StartTls() {
    stream_->StartTlsClient(target_.tls_context, target_.host, target_.verify, [this](const Status& s) {
      if (!s.ok()) Fail(s);
    });
  }

  void ArmTimer(const std::string& what) {
    timer_.Start(static_cast<uint64_t>(target_.timeout_seconds) * 1000,
                 [this, what] { Fail(Status::Error("provider " + Peer() + " did not answer " + what)); });
  }

  void Send(const std::string& line, const std::string& what) {
    stream_->Write(line);
    ArmTimer(what);
  }

  void OnData(std::string_view bytes) {
    while (!bytes.empty() && !finished_) {
      size_t consumed = 0;
      bool complete = false;
      smtp::Reply reply;
      Status s = parser_.Feed(bytes, &consumed, &complete, &reply);
      if (!s.ok()) {
        Fail(s.WithContext("in the reply of " + Peer()));
        return;
      }
      bytes.remove_prefix(consumed);
      if (complete) {
        timer_.Stop();
        // After STARTTLS's 220 the rest of this read is plaintext we must not trust.
        if (!OnReply(reply)) return;
      }
    }
  }

  // Returns false when the rest of the current read must be dropped.
  bool OnReply(const smtp::Reply& r) {
    switch (step_) {
      case Step::kGreeting:
        if (r.code != 220) return Refused(r, "greeting");
        step_ = Step::kEhlo;
        Send("EHLO " + target_.helo_name + "\r\n", "EHLO");
        return true;
      case Step::kEhlo:
      case Step::kEhloAfterTls: {
        if (r.code != 250) return Refused(r, "EHLO");
        caps_ = smtp::ParseEhloReply(r);
        if (step_ == Step::kEhlo && target_.tls == config::TlsMode::kStartTls) {
          if (!caps_.starttls) {
            Fail(Status::Error("provider " + Peer() + " does not offer STARTTLS"));
            return false;
          }
          step_ = Step::kStartTls;
          Send("STARTTLS\r\n", "STARTTLS");
          return true;
        }
        StartAuth();
        return true;
      }
      case Step::kStartTls:
        if (r.code != 220) return Refused(r, "STARTTLS");
        parser_.Reset();
        StartTls();
        step_ = Step::kEhloAfterTls;
        Send("EHLO " + target_.helo_name + "\r\n", "EHLO");
        return false;
      case Step::kAuthPlain:
      case Step::kAuthLoginPassword:
        if (r.code != 235) return Refused(r, "AUTH");
        SendMail();
        return true;
      case Step::kAuthLoginUser:
        if (r.code != 334) return Refused(r, "AUTH LOGIN");
        if (++login_step_ == 1) {
          Send(smtp::Base64Encode(target_.user) + "\r\n", "AUTH LOGIN");
        } else {
          std::string secret = smtp::Base64Encode(target_.password) + "\r\n";
          step_ = Step::kAuthLoginPassword;
          Send(secret, "AUTH LOGIN");
          smtp::WipeString(&secret);
        }
        return true;
      case Step::kMail:
        if (r.code != 250) return Refused(r, "MAIL FROM");
        step_ = Step::kRcpt;
        next_rcpt_ = 0;
        SendNextRcpt();
        return true;
      case Step::kRcpt:
        if (r.klass() != 2) {
          result_.refused_recipients.push_back(message_.recipients[next_rcpt_ - 1]);
          last_rcpt_refusal_ = r;
        } else {
          ++accepted_;
        }
        if (next_rcpt_ < message_.recipients.size()) {
          SendNextRcpt();
        } else if (accepted_ == 0) {
          return Refused(last_rcpt_refusal_, "RCPT TO");
        } else {
          step_ = Step::kData;
          Send("DATA\r\n", "DATA");
        }
        return true;
      case Step::kData:
        if (r.code != 354) return Refused(r, "DATA");
        step_ = Step::kBody;
        PumpBody();
        return true;
      case Step::kDot:
        result_.code = r.code;
        result_.reply = r.Text();
        if (r.code != 250) return Refused(r, "end of data");
        result_.status = Status::Ok();
        step_ = Step::kQuit;
        finished_ = true;
        stream_->Write("QUIT\r\n");
        stream_->Close();  // flushes QUIT; the reply to it does not matter
        return false;
      case Step::kBody:
      case Step::kQuit:
        Fail(Status::Error("provider " + Peer() + " sent an unexpected reply: " + r.Text()));
        return false;
    }
    return false;
  }

  void StartAuth() {
    if (target_.user.empty()) {
      SendMail();
      return;
    }
    if (caps_.OffersAuth("PLAIN")) {
      step_ = Step::kAuthPlain;
      std::string line = "AUTH PLAIN " + smtp::PlainInitialResponse(target_.user, target_.password) + "\r\n";
      Send(line, "AUTH PLAIN");
      smtp::WipeString(&line);
    } else if (caps_.OffersAuth("LOGIN")) {
      step_ = Step::kAuthLoginUser;
      Send("AUTH LOGIN\r\n", "AUTH LOGIN");
    } else {
      Fail(Status::Error("provider " + Peer() + " offers neither AUTH PLAIN nor LOGIN for the relay account"));
    }
  }

  void SendMail() {
    step_ = Step::kMail;
    Send("MAIL FROM:<" + message_.envelope_from + ">\r\n", "MAIL FROM");
  }

  void SendNextRcpt() {
    Send("RCPT TO:<" + message_.recipients[next_rcpt_++] + ">\r\n", "RCPT TO");
  }

  // Streams the body until the write queue is full or the body is done.
  void PumpBody() {
    std::string chunk, out;
    while (stream_->pending_write_bytes() < net::kHighWatermark) {
      Status s = body_.Next(&chunk);
      if (!s.ok()) {
        Fail(s.WithContext("while reading the message to relay"));
        return;
      }
      if (chunk.empty()) {
        std::string end;
        if (!at_line_start_) end = "\r\n";  // the data must end with CRLF before the dot
        step_ = Step::kDot;
        Send(end + ".\r\n", "end of data");
        return;
      }
      out.clear();
      out.reserve(chunk.size() + 16);
      for (char c : chunk) {
        if (at_line_start_ && c == '.') out += '.';  // RFC 5321 §4.5.2 transparency
        out += c;
        at_line_start_ = c == '\n';
      }
      stream_->Write(out);
      ArmTimer("while sending the message");
    }
    waiting_for_drain_ = true;
  }

  bool Refused(const smtp::Reply& r, const std::string& what) {
    result_.code = r.code;
    result_.reply = r.Text();
    result_.permanent = r.klass() == 5;
    Fail(Status::Error("provider " + Peer() + " refused " + what + ": " + std::to_string(r.code) + " " + r.Text()));
    return false;
  }

  void Fail(const Status& s) {
    if (finished_) return;
    finished_ = true;
    result_.status = s;
    timer_.Stop();
    if (stream_ && !stream_->closing()) {
      if (step_ != Step::kBody && step_ != Step::kDot && step_ != Step::kGreeting) stream_->Write("QUIT\r\n");
      stream_->Close();
    } else if (!stream_) {
      Complete();
    }
  }

  // Runs from on_closed (or without a stream): the stream may not be destroyed
  // inside its own callback, so deletion waits for the next loop turn.
  void Complete() {
    if (completed_) return;
    completed_ = true;
    timer_.Stop();
    reaper_.Start(0, [this] {
      smtp::WipeString(&target_.password);
      auto done = std::move(done_);
      RelayResult result = std::move(result_);
      delete this;  // a Timer may be destroyed from its own callback (timer.h)
      done(result);
    });
  }

  uv_loop_t* loop_;
  RelayTarget target_;
  RelayMessage message_;
  std::function<void(const RelayResult&)> done_;
  BodySource body_;
  net::Timer timer_;
  net::Timer reaper_;
  std::unique_ptr<net::Stream> stream_;
  smtp::ReplyParser parser_;
  smtp::ProviderCapabilities caps_;
  Step step_ = Step::kGreeting;
  RelayResult result_;
  smtp::Reply last_rcpt_refusal_;
  size_t next_rcpt_ = 0;
  int accepted_ = 0;
  int login_step_ = 0;
  bool at_line_start_ = true;
  bool waiting_for_drain_ = false;
  bool finished_ = false;
  bool completed_ = false;
};

}  // namespace

void RelayMessageUpstream(uv_loop_t* loop, const RelayTarget& target, RelayMessage message,
                          std::function<void(const RelayResult&)> done) {
  if (message.recipients.empty()) {
    RelayResult r;
    r.status = Status::Error("no recipients to relay to");
    r.permanent = true;
    done(r);
    return;
  }
  (new Relayer(loop, target, std::move(message), std::move(done)))->Start();
}

}  // namespace mailtee::approval
