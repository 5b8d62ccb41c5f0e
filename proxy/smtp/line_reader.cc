#include "proxy/smtp/line_reader.h"

namespace mailtee::smtp {

void LineReader::Reset() {
  state_ = State::kText;
  line_.clear();
  bare_cr_ = false;
}

void LineReader::WipeLastLine() {
  volatile char* p = ready_.data();
  for (size_t i = 0; i < ready_.size(); ++i) p[i] = 0;
  ready_.clear();
}

void LineReader::Append(char c) {
  if (line_.size() >= max_line_) {
    // Too long: drop what we have and skip to the end of the line.
    line_.clear();
    line_.shrink_to_fit();
    state_ = State::kDiscarding;
    return;
  }
  line_.push_back(c);
}

size_t LineReader::Feed(std::string_view input, Event* event) {
  *event = Event{};
  size_t i = 0;
  while (i < input.size()) {
    char c = input[i++];
    switch (state_) {
      case State::kText:
        if (c == '\r') {
          state_ = State::kSawCr;
        } else if (c == '\n') {
          event->bare_lf = true;
          goto line_done;
        } else {
          Append(c);
        }
        break;
      case State::kSawCr:
        if (c == '\n') {
          state_ = State::kText;
          goto line_done;
        }
        // A CR not followed by LF is part of the line, and suspicious.
        bare_cr_ = true;
        state_ = State::kText;
        Append('\r');
        if (state_ == State::kDiscarding) break;
        if (c == '\r') {
          state_ = State::kSawCr;
        } else {
          --i;  // re-examine c in kText
        }
        break;
      case State::kDiscarding:
        if (c == '\r') state_ = State::kDiscardingSawCr;
        else if (c == '\n') goto too_long_done;
        break;
      case State::kDiscardingSawCr:
        if (c == '\n') goto too_long_done;
        if (c != '\r') state_ = State::kDiscarding;
        break;
    }
    continue;
  line_done:
    ready_.swap(line_);
    line_.clear();
    event->kind = Kind::kLine;
    event->line = ready_;
    event->bare_cr = bare_cr_;
    bare_cr_ = false;
    state_ = State::kText;
    return i;
  too_long_done:
    event->kind = Kind::kTooLong;
    event->line = {};
    line_.clear();
    bare_cr_ = false;
    state_ = State::kText;
    return i;
  }
  return i;
}

}  // namespace mailtee::smtp
