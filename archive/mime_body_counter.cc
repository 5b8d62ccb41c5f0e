#include "archive/mime_body_counter.h"

namespace mailtee::archive {
namespace {

class IdentityCounter : public BodyCounter {
 public:
  void Content(std::string_view bytes) override { size_ += bytes.size(); }
  void Break(size_t n) override { size_ += n; }
  uint64_t DecodedSize() const override { return size_; }

 private:
  uint64_t size_ = 0;
};

class Base64Counter : public BodyCounter {
 public:
  void Content(std::string_view bytes) override {
    for (char c : bytes) {
      if (padded_) return;
      if (c == '=') padded_ = true;
      else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/')
        ++digits_;
      // Anything else (blanks, junk) carries no data.
    }
  }
  void Break(size_t) override {}
  uint64_t DecodedSize() const override {
    const uint64_t rest = digits_ % 4;
    return digits_ / 4 * 3 + (rest == 2 ? 1 : rest == 3 ? 2 : 0);
  }

 private:
  uint64_t digits_ = 0;
  bool padded_ = false;
};

bool IsHex(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f'); }

class QuotedPrintableCounter : public BodyCounter {
 public:
  void Content(std::string_view bytes) override {
    for (char c : bytes) Byte(c);
  }
  void Break(size_t n) override {
    // A line ending in '=' (blanks after it allowed) is a soft break.
    if (state_ == State::kEquals || state_ == State::kEqualsBlank) {
      state_ = State::kText;
      pending_blanks_ = 0;
      return;
    }
    if (state_ == State::kEqualsHex) size_ += 2;  // "=A" then the break: kept literally
    state_ = State::kText;
    pending_blanks_ = 0;  // trailing blanks are transport padding
    size_ += n;
  }
  uint64_t DecodedSize() const override {
    uint64_t size = size_;
    if (state_ == State::kEqualsHex) size += 2;
    return size;  // a final "=" or trailing blanks decode to nothing
  }

 private:
  enum class State { kText, kEquals, kEqualsHex, kEqualsBlank };

  void Byte(char c) {
    switch (state_) {
      case State::kText:
        if (c == '=') { size_ += pending_blanks_; pending_blanks_ = 0; state_ = State::kEquals; }
        else if (c == ' ' || c == '\t') ++pending_blanks_;
        else { size_ += pending_blanks_ + 1; pending_blanks_ = 0; }
        return;
      case State::kEquals:
        if (IsHex(c)) state_ = State::kEqualsHex;
        else if (c == ' ' || c == '\t') { state_ = State::kEqualsBlank; equals_blanks_ = 1; }
        else { size_ += 1; state_ = State::kText; Byte(c); }  // stray '=' kept
        return;
      case State::kEqualsHex:
        state_ = State::kText;
        if (IsHex(c)) size_ += 1;
        else { size_ += 2; Byte(c); }
        return;
      case State::kEqualsBlank:
        if (c == ' ' || c == '\t') { ++equals_blanks_; return; }
        // "= x": not a soft break after all; the '=' and blanks are text.
        size_ += 1;
        state_ = State::kText;
        pending_blanks_ = equals_blanks_;
        Byte(c);
        return;
    }
  }

  State state_ = State::kText;
  uint64_t size_ = 0;
  uint64_t pending_blanks_ = 0, equals_blanks_ = 0;
};

}  // namespace

std::unique_ptr<BodyCounter> MakeBodyCounter(std::string_view encoding) {
  if (encoding == "base64") return std::make_unique<Base64Counter>();
  if (encoding == "quoted-printable") return std::make_unique<QuotedPrintableCounter>();
  return std::make_unique<IdentityCounter>();
}

}  // namespace mailtee::archive
