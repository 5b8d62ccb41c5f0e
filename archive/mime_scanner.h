// The MIME structure of a message read line by line: the top-level header,
// nested multiparts (RFC 2046 boundaries, preamble and epilogue ignored, a
// missing close delimiter tolerated) and the attachment list. Memory: the
// top-level header (capped), one part header (capped), the boundary stack
// (capped depth) and one line's first bytes; bodies are only counted.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "archive/analysis_header.h"
#include "archive/message_summary.h"
#include "archive/mime_body_counter.h"

namespace mailtee::archive {

class MimeScanner {
 public:
  static constexpr size_t kMaxDepth = 32;              // nested multiparts followed
  static constexpr size_t kMaxPartHeaderBytes = 64 << 10;
  static constexpr size_t kMaxBodyLineProbe = 998;     // longer lines cannot be boundaries
  static constexpr size_t kMaxAttachments = 100000;    // keeps a hostile message's list bounded

  explicit MimeScanner(size_t max_top_header_bytes);
  ~MimeScanner();

  // The longest line the caller should buffer before switching to the
  // long-line calls (body) or truncating it (header).
  size_t LineCap() const;
  bool InHeader() const;

  // A complete line without its terminator; terminator_length is 2 for
  // CRLF, 1 for LF, 0 for an unterminated last line.
  void OnLine(std::string_view content, size_t terminator_length);
  // A body line longer than LineCap(), in pieces, then its end.
  void OnLongLinePiece(std::string_view bytes);
  void OnLongLineEnd(size_t terminator_length);
  void Finish();

  bool headers_complete() const { return headers_complete_; }
  const HeaderBlock& top_header() const { return top_header_; }
  std::vector<AttachmentInfo>& attachments() { return attachments_; }

 private:
  enum class Mode { kTopHeader, kPartHeader, kBody, kSkip };
  struct Frame {
    std::string boundary;
    bool digest = false;  // multipart/digest: parts default to message/rfc822
  };
  struct Leaf;

  void StartEntity(const HeaderBlock& header, std::string_view default_type);
  void FinishLeaf();
  // Index of the innermost frame whose boundary the line is, or -1.
  int MatchBoundary(std::string_view line, bool* close) const;
  void OnBoundary(int frame, bool close);
  void BodyContent(std::string_view bytes);
  void FlushPendingBreak();

  Mode mode_ = Mode::kTopHeader;
  size_t max_top_header_bytes_;
  HeaderBlock top_header_;
  HeaderBlock part_header_{kMaxPartHeaderBytes};
  bool headers_complete_ = false;
  std::vector<Frame> frames_;
  bool in_digest_ = false;
  std::unique_ptr<Leaf> leaf_;
  size_t pending_break_ = 0;  // the previous line's terminator: body, unless a boundary follows
  std::vector<AttachmentInfo> attachments_;
};

}  // namespace mailtee::archive
