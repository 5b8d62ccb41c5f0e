// MailboxListing: what the session learned about the mailbox from LIST and
// UIDL responses (message number -> size, -> unique id), so a retrieved message
// can be archived with its UIDL and a TOP can be compared with the full size.
// Bounded: at most kMaxListingEntries numbers are remembered per session.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace mailtee::pop3 {

constexpr size_t kMaxListingEntries = 200000;

class MailboxListing {
 public:
  enum class Kind { kSizes, kUids };  // LIST / UIDL

  // One "n value" line (a multi-line body line, or a single-line "+OK n value"
  // answer with the "+OK " removed). Malformed lines are ignored.
  void AddLine(Kind kind, std::string_view line);
  // Streams a multi-line body (dot-unstuffed bytes) in any chunking.
  void FeedBody(Kind kind, std::string_view data);
  void EndBody(Kind kind);

  std::optional<uint64_t> size(uint32_t number) const;
  std::optional<std::string> uid(uint32_t number) const;

 private:
  std::unordered_map<uint32_t, uint64_t> sizes_;
  std::unordered_map<uint32_t, std::string> uids_;
  std::string partial_;
  bool partial_too_long_ = false;
};

}  // namespace mailtee::pop3
