#include "proxy/smtp/data_decoder.h"

#include <cstring>

namespace mailtee::smtp {

void DataDecoder::Emit(char c, std::string* archive, std::string* upstream) {
  if (content_line_start_ && c == '.') upstream->push_back('.');  // canonical dot-stuffing
  content_line_start_ = false;
  archive->push_back(c);
  upstream->push_back(c);
  ++archive_bytes_;
}

void DataDecoder::EmitCrlf(std::string* archive, std::string* upstream) {
  archive->append("\r\n");
  upstream->append("\r\n");
  archive_bytes_ += 2;
  content_line_start_ = true;
}

bool DataDecoder::OnBareNewline(Drain resume_in) {
  if (policy_ == config::BareNewline::kNormalize) {
    normalized_ = true;
    return true;
  }
  rejected_ = true;
  drain_ = resume_in;
  return false;
}

// Strict scanner used after a rejection: finds <CRLF>.<CRLF> and nothing else.
bool DataDecoder::DrainByte(char c) {
  switch (drain_) {
    case Drain::kText:
      if (c == '\r') drain_ = Drain::kCr;
      break;
    case Drain::kCr:
      drain_ = c == '\n' ? Drain::kLineStart : c == '\r' ? Drain::kCr : Drain::kText;
      break;
    case Drain::kLineStart:
      drain_ = c == '.' ? Drain::kDot : c == '\r' ? Drain::kCr : Drain::kText;
      break;
    case Drain::kDot:
      drain_ = c == '\r' ? Drain::kDotCr : Drain::kText;
      break;
    case Drain::kDotCr:
      if (c == '\n') return true;
      drain_ = c == '\r' ? Drain::kCr : Drain::kText;
      break;
  }
  return false;
}

namespace {

// Index of the first CR or LF at or after from (input.size() if none).
size_t FindLineBreak(std::string_view input, size_t from) {
  const char* begin = input.data() + from;
  size_t n = input.size() - from;
  const void* cr = std::memchr(begin, '\r', n);
  size_t limit = cr ? static_cast<size_t>(static_cast<const char*>(cr) - begin) : n;
  const void* lf = std::memchr(begin, '\n', limit);
  if (lf) limit = static_cast<size_t>(static_cast<const char*>(lf) - begin);
  return from + limit;
}

}  // namespace

size_t DataDecoder::Decode(std::string_view input, std::string* archive, std::string* upstream) {
  size_t i = 0;
  while (i < input.size() && state_ != State::kDone) {
    if (state_ == State::kText && !rejected_) {
      // Fast path: inside a line, every byte up to the next CR/LF is copied
      // as is to both outputs (no dot handling mid-line). This is most of a
      // message; the byte-wise state machine below handles line boundaries.
      size_t end = FindLineBreak(input, i);
      if (end > i) {
        std::string_view run = input.substr(i, end - i);
        archive->append(run);
        upstream->append(run);
        archive_bytes_ += run.size();
        i = end;
        continue;
      }
    }
    char c = input[i++];
    if (rejected_) {
      if (DrainByte(c)) state_ = State::kDone;
      continue;
    }
    switch (state_) {
      case State::kLineStart:
        if (c == '.') {
          state_ = State::kDot;
        } else if (c == '\r') {
          state_ = State::kCr;
        } else if (c == '\n') {
          if (!OnBareNewline(Drain::kText)) break;
          EmitCrlf(archive, upstream);
          strict_line_start_ = false;
        } else {
          Emit(c, archive, upstream);
          state_ = State::kText;
        }
        break;
      case State::kDot:
        if (c == '\r') {
          state_ = State::kDotCr;
        } else if (c == '\n') {
          // "." then bare LF: never an end of data.
          if (!OnBareNewline(Drain::kText)) break;
          Emit('.', archive, upstream);
          EmitCrlf(archive, upstream);
          state_ = State::kLineStart;
          strict_line_start_ = false;
        } else {
          Emit(c, archive, upstream);  // the leading dot was stuffing: dropped
          state_ = State::kText;
        }
        break;
      case State::kDotCr:
        if (c == '\n') {
          if (strict_line_start_) {
            state_ = State::kDone;
            break;
          }
          // Only reachable under kNormalize: "\n.\r\n" is a "." line of content.
          Emit('.', archive, upstream);
          EmitCrlf(archive, upstream);
          state_ = State::kLineStart;
          strict_line_start_ = true;
        } else {
          // "." then bare CR.
          if (!OnBareNewline(Drain::kText)) {
            --i;  // c is examined by the drain scanner
            break;
          }
          Emit('.', archive, upstream);
          EmitCrlf(archive, upstream);
          state_ = State::kLineStart;
          strict_line_start_ = false;
          --i;  // c starts the next line
        }
        break;
      case State::kText:
        if (c == '\r') {
          state_ = State::kCr;
        } else if (c == '\n') {
          if (!OnBareNewline(Drain::kText)) break;
          EmitCrlf(archive, upstream);
          state_ = State::kLineStart;
          strict_line_start_ = false;
        } else {
          Emit(c, archive, upstream);
        }
        break;
      case State::kCr:
        if (c == '\n') {
          EmitCrlf(archive, upstream);
          state_ = State::kLineStart;
          strict_line_start_ = true;
        } else {
          if (!OnBareNewline(Drain::kText)) {
            --i;
            break;
          }
          EmitCrlf(archive, upstream);
          state_ = State::kLineStart;
          strict_line_start_ = false;
          --i;
        }
        break;
      case State::kDone:
        break;
    }
  }
  return i;
}

bool BareNewlineScanner::Scan(std::string_view bytes) {
  for (char c : bytes) {
    if (saw_cr_) {
      saw_cr_ = false;
      if (c != '\n') clean_ = false;
      else continue;
    }
    if (c == '\r') saw_cr_ = true;
    else if (c == '\n') clean_ = false;
  }
  return clean_;
}

bool BareNewlineScanner::Finish() {
  if (saw_cr_) clean_ = false;
  saw_cr_ = false;
  return clean_;
}

}  // namespace mailtee::smtp
