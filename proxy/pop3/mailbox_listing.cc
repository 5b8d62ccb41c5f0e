#include "proxy/pop3/mailbox_listing.h"

namespace mailtee::pop3 {
namespace {

constexpr size_t kMaxListingLine = 512;  // "n" + unique-id of at most 70 chars (RFC 1939)

bool ParseU64(std::string_view text, uint64_t* out) {
  if (text.empty() || text.size() > 19) return false;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

}  // namespace

void MailboxListing::AddLine(Kind kind, std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  size_t space = line.find(' ');
  if (space == std::string_view::npos) return;
  uint64_t number = 0;
  if (!ParseU64(line.substr(0, space), &number) || number == 0 || number > UINT32_MAX) return;
  std::string_view value = line.substr(space + 1);
  size_t end = value.find(' ');  // LIST may carry more after the size
  if (end != std::string_view::npos) value = value.substr(0, end);
  if (value.empty()) return;
  auto n = static_cast<uint32_t>(number);
  if (kind == Kind::kSizes) {
    uint64_t size = 0;
    if (!ParseU64(value, &size)) return;
    if (sizes_.size() < kMaxListingEntries || sizes_.count(n)) sizes_[n] = size;
  } else {
    if (uids_.size() < kMaxListingEntries || uids_.count(n)) uids_[n] = std::string(value);
  }
}

void MailboxListing::FeedBody(Kind kind, std::string_view data) {
  while (!data.empty()) {
    size_t lf = data.find('\n');
    std::string_view piece = data.substr(0, lf == std::string_view::npos ? data.size() : lf);
    if (!partial_too_long_) {
      if (partial_.size() + piece.size() > kMaxListingLine) {
        partial_too_long_ = true;
        partial_.clear();
      } else {
        partial_.append(piece);
      }
    }
    if (lf == std::string_view::npos) return;
    if (!partial_too_long_) AddLine(kind, partial_);
    partial_.clear();
    partial_too_long_ = false;
    data.remove_prefix(lf + 1);
  }
}

void MailboxListing::EndBody(Kind kind) {
  if (!partial_.empty() && !partial_too_long_) AddLine(kind, partial_);
  partial_.clear();
  partial_too_long_ = false;
}

std::optional<uint64_t> MailboxListing::size(uint32_t number) const {
  auto it = sizes_.find(number);
  if (it == sizes_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> MailboxListing::uid(uint32_t number) const {
  auto it = uids_.find(number);
  if (it == uids_.end()) return std::nullopt;
  return it->second;
}

}  // namespace mailtee::pop3
