// MessageAnalyzer: hashes and counts every byte, splits the stream into
// lines (CRLF or bare LF, any chunking) without ever buffering more than one
// capped line, and lets MimeScanner read the structure.
#include <openssl/sha.h>

#include "archive/analysis_address.h"
#include "archive/charset.h"
#include "archive/message_summary.h"
#include "archive/mime_scanner.h"

namespace mailtee::archive {

struct MessageAnalyzer::Impl {
  SHA256_CTX sha;
  uint64_t size = 0;
  MimeScanner scanner{kMaxHeaderBytes};
  std::string line;             // the current line, up to scanner.LineCap()
  bool header_line_overflow = false;  // header line past the cap: the rest is dropped
  bool long_line = false;       // body line past the cap: streamed in pieces
  bool pending_cr = false;      // a long line's piece ended in '\r' (maybe half a CRLF)

  Impl() { SHA256_Init(&sha); }

  void Feed(std::string_view bytes) {
    SHA256_Update(&sha, bytes.data(), bytes.size());
    size += bytes.size();
    while (!bytes.empty()) {
      const size_t nl = bytes.find('\n');
      if (long_line) {
        FeedLongLine(bytes.substr(0, nl), nl != std::string_view::npos);
        if (nl == std::string_view::npos) return;
        bytes.remove_prefix(nl + 1);
        continue;
      }
      std::string_view take = bytes.substr(0, nl);
      const size_t cap = scanner.LineCap();
      if (line.size() + take.size() > cap) {
        if (scanner.InHeader()) {
          line.append(take.substr(0, cap - std::min(cap, line.size())));
          header_line_overflow = true;
        } else {
          // Too long to be a boundary: hand over what we have and stream the rest.
          if (!line.empty()) scanner.OnLongLinePiece(line);
          line.clear();
          long_line = true;
          continue;  // re-read `bytes` in long-line mode
        }
      } else if (!header_line_overflow) {
        line.append(take);
      }
      if (nl == std::string_view::npos) return;
      bytes.remove_prefix(nl + 1);
      EndLine();
    }
  }

  void EndLine() {
    size_t terminator = 1;
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
      terminator = 2;
    }
    scanner.OnLine(line, terminator);
    line.clear();
    header_line_overflow = false;
  }

  void FeedLongLine(std::string_view piece, bool ends_line) {
    if (pending_cr) {
      pending_cr = false;
      if (ends_line && piece.empty()) {
        scanner.OnLongLineEnd(2);
        long_line = false;
        return;
      }
      scanner.OnLongLinePiece("\r");
    }
    size_t terminator = 1;
    if (!piece.empty() && piece.back() == '\r') {
      piece.remove_suffix(1);
      if (ends_line) terminator = 2;
      else pending_cr = true;  // decided by the next byte
    }
    if (!piece.empty()) scanner.OnLongLinePiece(piece);
    if (ends_line) {
      scanner.OnLongLineEnd(terminator);
      long_line = false;
    }
  }

  MessageSummary Finish() {
    if (long_line) {
      if (pending_cr) scanner.OnLongLinePiece("\r");
      scanner.OnLongLineEnd(0);
    } else if (!line.empty()) {
      scanner.OnLine(line, 0);  // an unterminated last line ('\r' included as written)
    }
    scanner.Finish();
    MessageSummary s;
    const HeaderBlock& h = scanner.top_header();
    s.from = ParseAddressList(RawHeaderToUtf8(h.GetAll("From", ", ")));
    s.to = ParseAddressList(RawHeaderToUtf8(h.GetAll("To", ", ")));
    s.cc = ParseAddressList(RawHeaderToUtf8(h.GetAll("Cc", ", ")));
    s.subject = DecodeHeaderValue(h.Get("Subject"));
    s.message_id = RawHeaderToUtf8(h.Get("Message-ID"));
    s.date = RawHeaderToUtf8(h.Get("Date"));
    s.attachments = std::move(scanner.attachments());
    s.size = size;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256_Final(digest, &sha);
    static const char kHex[] = "0123456789abcdef";
    for (unsigned char b : digest) {
      s.sha256_hex += kHex[b >> 4];
      s.sha256_hex += kHex[b & 15];
    }
    s.headers_complete = scanner.headers_complete();
    return s;
  }
};

MessageAnalyzer::MessageAnalyzer() : impl_(new Impl) {}
MessageAnalyzer::~MessageAnalyzer() { delete impl_; }
void MessageAnalyzer::Feed(std::string_view bytes) { impl_->Feed(bytes); }
MessageSummary MessageAnalyzer::Finish() { return impl_->Finish(); }

}  // namespace mailtee::archive
