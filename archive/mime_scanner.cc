#include "archive/mime_scanner.h"

#include "archive/charset.h"
#include "archive/mime_params.h"

namespace mailtee::archive {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

std::string TrimmedLower(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return ToLowerAscii(s);
}

bool IsIdentityEncoding(std::string_view e) {
  return e.empty() || e == "7bit" || e == "8bit" || e == "binary";
}

}  // namespace

// The innermost non-multipart entity being read.
struct MimeScanner::Leaf {
  bool attachment = false;
  AttachmentInfo info;
  std::unique_ptr<BodyCounter> counter;
  // message/rfc822 without a file name: its inner header, for the Subject.
  bool want_inner_subject = false;
  bool inner_header_done = false;
  HeaderBlock inner_header{kMaxPartHeaderBytes};
};

MimeScanner::MimeScanner(size_t max_top_header_bytes)
    : max_top_header_bytes_(max_top_header_bytes), top_header_(max_top_header_bytes) {}
MimeScanner::~MimeScanner() = default;

size_t MimeScanner::LineCap() const {
  switch (mode_) {
    case Mode::kTopHeader: return top_header_.truncated() ? kMaxBodyLineProbe : max_top_header_bytes_;
    case Mode::kPartHeader: return kMaxPartHeaderBytes;
    default: return kMaxBodyLineProbe;
  }
}

bool MimeScanner::InHeader() const { return mode_ == Mode::kTopHeader || mode_ == Mode::kPartHeader; }

void MimeScanner::OnLine(std::string_view line, size_t terminator_length) {
  switch (mode_) {
    case Mode::kTopHeader:
      if (line.empty()) {
        headers_complete_ = true;
        StartEntity(top_header_, "text/plain");
      } else {
        top_header_.AddLine(line);
      }
      return;
    case Mode::kPartHeader: {
      bool close = false;
      int frame = MatchBoundary(line, &close);
      if (frame >= 0) {
        // A part that ends inside its header: an empty body.
        StartEntity(part_header_, in_digest_ ? "message/rfc822" : "text/plain");
        OnBoundary(frame, close);
      } else if (line.empty()) {
        StartEntity(part_header_, in_digest_ ? "message/rfc822" : "text/plain");
      } else {
        part_header_.AddLine(line);
      }
      return;
    }
    case Mode::kBody:
    case Mode::kSkip: {
      bool close = false;
      int frame = MatchBoundary(line, &close);
      if (frame >= 0) {
        pending_break_ = 0;  // the line break before a boundary belongs to the boundary
        OnBoundary(frame, close);
        return;
      }
      if (mode_ == Mode::kSkip) return;
      FlushPendingBreak();
      BodyContent(line);
      if (leaf_->want_inner_subject && !leaf_->inner_header_done) {
        if (line.empty()) leaf_->inner_header_done = true;
        else leaf_->inner_header.AddLine(line);
      }
      pending_break_ = terminator_length;
      return;
    }
  }
}

void MimeScanner::OnLongLinePiece(std::string_view bytes) {
  if (mode_ != Mode::kBody) return;  // preamble / epilogue; headers never get here
  FlushPendingBreak();
  BodyContent(bytes);
}

void MimeScanner::OnLongLineEnd(size_t terminator_length) {
  if (mode_ != Mode::kBody) return;
  pending_break_ = terminator_length;
}

void MimeScanner::Finish() {
  switch (mode_) {
    case Mode::kTopHeader: return;  // header only: no body, no parts
    case Mode::kPartHeader:
      StartEntity(part_header_, in_digest_ ? "message/rfc822" : "text/plain");
      FinishLeaf();
      return;
    case Mode::kBody:
      FlushPendingBreak();  // the message's last line break is body
      FinishLeaf();
      return;
    case Mode::kSkip: return;
  }
}

void MimeScanner::FlushPendingBreak() {
  if (pending_break_ && leaf_) leaf_->counter->Break(pending_break_);
  pending_break_ = 0;
}

void MimeScanner::BodyContent(std::string_view bytes) {
  if (leaf_) leaf_->counter->Content(bytes);
}

void MimeScanner::StartEntity(const HeaderBlock& header, std::string_view default_type) {
  MimeHeaderValue type = ParseMimeHeaderValue(header.Get("Content-Type"));
  if (type.value.find('/') == std::string::npos) {
    type.value = std::string(default_type);
  }
  pending_break_ = 0;
  const std::string boundary = type.Param("boundary");
  // A boundary longer than the line probe could never be recognised; past
  // kMaxDepth the multipart is read as one opaque leaf.
  if (type.value.rfind("multipart/", 0) == 0 && !boundary.empty() && boundary.size() + 4 <= kMaxBodyLineProbe &&
      frames_.size() < kMaxDepth) {
    frames_.push_back(Frame{boundary, type.value == "multipart/digest"});
    mode_ = Mode::kSkip;  // the preamble
    return;
  }
  MimeHeaderValue disposition = ParseMimeHeaderValue(header.Get("Content-Disposition"));
  const std::string encoding = TrimmedLower(header.Get("Content-Transfer-Encoding"));
  auto leaf = std::make_unique<Leaf>();
  leaf->counter = MakeBodyCounter(encoding);
  leaf->info.type = type.value;
  if (disposition.Has("filename")) leaf->info.name = disposition.Param("filename");
  if (leaf->info.name.empty()) leaf->info.name = type.Param("name");
  const bool rfc822 = type.value == "message/rfc822";
  leaf->attachment = disposition.value == "attachment" || disposition.Has("filename") || type.Has("name") || rfc822;
  leaf->want_inner_subject = rfc822 && leaf->info.name.empty() && IsIdentityEncoding(encoding);
  leaf_ = std::move(leaf);
  mode_ = Mode::kBody;
}

void MimeScanner::FinishLeaf() {
  if (!leaf_) return;
  std::unique_ptr<Leaf> leaf = std::move(leaf_);
  if (!leaf->attachment || attachments_.size() >= kMaxAttachments) return;
  leaf->info.size = leaf->counter->DecodedSize();
  if (leaf->info.type == "message/rfc822" && leaf->info.name.empty()) {
    std::string subject = DecodeHeaderValue(leaf->inner_header.Get("Subject"));
    leaf->info.name = (subject.empty() ? std::string("message") : subject) + ".eml";
  }
  attachments_.push_back(std::move(leaf->info));
}

int MimeScanner::MatchBoundary(std::string_view line, bool* close) const {
  if (frames_.empty() || line.size() < 2 || line[0] != '-' || line[1] != '-') return -1;
  std::string_view rest_all = line.substr(2);
  for (int i = static_cast<int>(frames_.size()) - 1; i >= 0; --i) {
    const std::string& b = frames_[i].boundary;
    if (rest_all.substr(0, b.size()) != b) continue;
    std::string_view rest = rest_all.substr(b.size());
    *close = rest.substr(0, 2) == "--";
    if (*close) rest.remove_prefix(2);
    bool padding_only = true;  // transport padding after a boundary is allowed
    for (char c : rest) padding_only &= IsBlank(c);
    if (padding_only) return i;
  }
  return -1;
}

void MimeScanner::OnBoundary(int frame, bool close) {
  FinishLeaf();
  frames_.resize(frame + 1);  // a boundary of an outer multipart closes the inner ones
  if (close) {
    frames_.pop_back();
    mode_ = Mode::kSkip;  // the epilogue
    return;
  }
  in_digest_ = frames_.back().digest;
  part_header_.Clear();
  mode_ = Mode::kPartHeader;
}

}  // namespace mailtee::archive
