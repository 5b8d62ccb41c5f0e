// The leaf parts of a stored message, for the console's message viewer: a
// small bounded MIME walker over the whole message in memory (the caller caps
// the size). Multiparts are followed (depth <= 32, <= 1000 parts); everything
// else, message/rfc822 included, is a leaf shown or downloaded as a whole.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mailtee::admin {

struct MessagePart {
  int index = 0;                  // 0-based, in message order
  std::string content_type;       // lowercased "text/html"
  std::string charset;            // lowercased, "" if none
  std::string filename;           // UTF-8 (RFC 2231 / 2047 decoded), "" if none
  std::string transfer_encoding;  // lowercased
  bool attachment = false;        // Content-Disposition: attachment, or has a file name
  size_t body_begin = 0, body_end = 0;  // raw (encoded) body bytes in the message
};

constexpr size_t kMaxMessageParts = 1000;
constexpr size_t kMaxMimeDepth = 32;

// Leaf parts of `message`; a message without MIME is one text/plain part.
std::vector<MessagePart> ListMessageParts(std::string_view message);

// The part's body with base64 / quoted-printable undone.
std::string DecodePartBody(std::string_view message, const MessagePart& part);

// Decoded body converted from the part's charset to UTF-8 (lossy; unknown
// charsets are read as UTF-8 with invalid bytes replaced).
std::string PartTextUtf8(std::string_view message, const MessagePart& part);

// "text" for text/plain (and text/* other than html), "html" for text/html
// that is not an attachment, "" otherwise.
std::string PartViewKind(const MessagePart& part);

}  // namespace mailtee::admin
