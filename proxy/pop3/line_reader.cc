#include "proxy/pop3/line_reader.h"

namespace mailtee::pop3 {

LineReader::Result LineReader::Next(std::string_view input, size_t max_line, size_t* consumed) {
  size_t lf = input.find('\n');
  size_t take = lf == std::string_view::npos ? input.size() : lf + 1;
  *consumed = take;
  std::string_view piece = input.substr(0, lf == std::string_view::npos ? input.size() : lf);
  if (!skipping_) {
    // +1 allows the CR that is stripped below.
    if (partial_.size() + piece.size() > max_line + 1) {
      skipping_ = true;
      partial_.clear();
    } else {
      partial_.append(piece);
    }
  }
  if (lf == std::string_view::npos) return Result::kNeedMore;
  if (skipping_) {
    skipping_ = false;
    return Result::kTooLong;
  }
  if (!partial_.empty() && partial_.back() == '\r') partial_.pop_back();
  if (partial_.size() > max_line) {
    partial_.clear();
    return Result::kTooLong;
  }
  line_.swap(partial_);
  partial_.clear();
  return Result::kLine;
}

void LineReader::Reset() {
  partial_.clear();
  line_.clear();
  skipping_ = false;
}

}  // namespace mailtee::pop3
