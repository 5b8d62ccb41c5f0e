#include "proxy/pop3/response_framer.h"

#include <strings.h>

#include <cstring>

namespace mailtee::pop3 {
namespace {

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && strncasecmp(text.data(), prefix.data(), prefix.size()) == 0;
}

std::string Printable(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 80)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

}  // namespace

Status ResponseFramer::Feed(std::string_view input, ResponseHandler* handler, size_t* consumed) {
  *consumed = 0;
  while (*consumed < input.size()) {
    std::string_view rest = input.substr(*consumed);
    bool done = false;
    if (state_ == State::kStatus) {
      if (expected_.empty()) {
        return Status::Error("provider sent \"" + Printable(rest) + "\" with no command pending");
      }
      size_t lf = rest.find('\n');
      size_t take = lf == std::string_view::npos ? rest.size() : lf + 1;
      if (status_.size() + take > kMaxStatusLine) {
        return Status::Error("provider sent a status line longer than " +
                             std::to_string(kMaxStatusLine) + " octets");
      }
      status_.append(rest.substr(0, take));
      *consumed += take;
      if (lf == std::string_view::npos) return Status::Ok();
      Status s = FinishStatusLine(handler, &done);
      if (!s.ok()) return s;
    } else {
      *consumed += ScanBody(rest, handler, &done);
    }
    if (done) return Status::Ok();
  }
  return Status::Ok();
}

Status ResponseFramer::FinishStatusLine(ResponseHandler* handler, bool* done) {
  std::string raw;
  raw.swap(status_);
  std::string_view line(raw);
  line.remove_suffix(1);  // LF
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  ResponseShape shape = expected_.front();
  StatusKind kind;
  if (StartsWithNoCase(line, "+OK")) {
    kind = StatusKind::kOk;
  } else if (StartsWithNoCase(line, "-ERR")) {
    kind = StatusKind::kErr;
  } else if (shape == ResponseShape::kSasl && StartsWithNoCase(line, "+")) {
    kind = StatusKind::kContinuation;
  } else {
    return Status::Error("provider sent an invalid status line \"" + Printable(line) + "\"");
  }
  bool multiline = shape == ResponseShape::kMultiLineIfOk && kind == StatusKind::kOk;
  handler->OnStatus(kind, line, multiline);
  handler->OnRaw(raw);
  if (multiline) {
    state_ = State::kLineStart;
    return Status::Ok();
  }
  if (kind != StatusKind::kContinuation) expected_.pop_front();
  *done = true;
  handler->OnComplete(kind);
  return Status::Ok();
}

// Byte-wise scan of a multi-line body. Unstuffed output is the raw input minus
// the stuffing dot at the start of a line and minus the terminator; it is handed
// out as runs of the input. A CR right after a line-start dot is held back until
// the next byte shows whether it is the terminator's.
size_t ResponseFramer::ScanBody(std::string_view input, ResponseHandler* handler, bool* done) {
  size_t run_start = 0;
  size_t i = 0;
  for (; i < input.size(); ++i) {
    char c = input[i];
    switch (state_) {
      case State::kLineStart:
        if (c == '.') {
          if (i > run_start) handler->OnBody(input.substr(run_start, i - run_start));
          run_start = i + 1;
          state_ = State::kDot;
        } else {
          state_ = c == '\r' ? State::kCr : State::kText;
        }
        break;
      case State::kText: {
        // Nearly every byte is inside a line: jump straight to the line's CR
        // (a bare LF does not end a line, so only CR matters). A byte-wise
        // loop here was a third of the proxy's CPU time on a 10 KB RETR.
        const void* cr = std::memchr(input.data() + i, '\r', input.size() - i);
        if (cr == nullptr) {
          i = input.size() - 1;  // the loop's ++i ends the scan; still inside a line
        } else {
          i = static_cast<size_t>(static_cast<const char*>(cr) - input.data());
          state_ = State::kCr;
        }
        break;
      }
      case State::kCr:
        state_ = c == '\n' ? State::kLineStart : (c == '\r' ? State::kCr : State::kText);
        break;
      case State::kDot:
        if (c == '\r') {
          if (i > run_start) handler->OnBody(input.substr(run_start, i - run_start));
          run_start = i + 1;
          state_ = State::kDotCr;
        } else {
          state_ = State::kText;  // ".." or ".x": the first dot was stuffing
        }
        break;
      case State::kDotCr:
        if (c == '\n') {
          handler->OnRaw(input.substr(0, i + 1));
          state_ = State::kStatus;
          expected_.pop_front();
          *done = true;
          handler->OnComplete(StatusKind::kOk);
          return i + 1;
        }
        handler->OnBody("\r");  // the held CR was data
        run_start = i;
        state_ = c == '\r' ? State::kCr : State::kText;
        break;
      case State::kStatus:
        break;  // not reached: Feed only scans bodies
    }
  }
  if (i > run_start) handler->OnBody(input.substr(run_start, i - run_start));
  handler->OnRaw(input);
  return input.size();
}

}  // namespace mailtee::pop3
