// What the archive reads out of a message's bytes: header fields (decoded to
// UTF-8) and the attachment list. Produced incrementally by MessageAnalyzer so
// a 50 MB message is never held in memory.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mailtee::archive {

struct AttachmentInfo {
  std::string name;       // decoded (RFC 2231 / RFC 2047) to UTF-8; may be empty
  uint64_t size = 0;      // decoded byte count (base64 / quoted-printable undone)
  std::string type;       // "application/pdf"
};

struct MessageSummary {
  std::vector<std::string> from, to, cc;  // one address string per mailbox ("Name <a@b>" decoded)
  std::string subject;                    // RFC 2047 decoded to UTF-8
  std::string message_id;                 // with angle brackets as in the header
  std::string date;                       // the Date header as written
  std::vector<AttachmentInfo> attachments;
  uint64_t size = 0;                      // bytes fed
  std::string sha256_hex;                 // of all bytes fed
  bool headers_complete = false;          // saw the blank line ending the header
};

// Feed the message in any chunking; Finish() returns the summary. Never fails:
// broken MIME yields what could be read. Memory is bounded by the header size
// limit (kMaxHeaderBytes, after which further headers are ignored) and MIME
// nesting depth, not by the message size.
class MessageAnalyzer {
 public:
  static constexpr size_t kMaxHeaderBytes = 1 << 20;
  MessageAnalyzer();
  ~MessageAnalyzer();
  MessageAnalyzer(const MessageAnalyzer&) = delete;
  MessageAnalyzer& operator=(const MessageAnalyzer&) = delete;
  void Feed(std::string_view bytes);
  MessageSummary Finish();

 private:
  struct Impl;
  Impl* impl_;
};

// RFC 2047 decoding of one header value (encoded-words in B or Q, charsets
// ISO-2022-JP, Shift_JIS/CP932, EUC-JP, UTF-8, ISO-8859-x, ...; raw 8-bit
// UTF-8 or Shift_JIS passes through as UTF-8). Unknown charsets are kept raw.
std::string DecodeHeaderValue(std::string_view raw);

}  // namespace mailtee::archive
