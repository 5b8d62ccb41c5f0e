// Counts the decoded size of a MIME part body as it streams past, without
// keeping it: base64 (whitespace ignored, up to padding), quoted-printable
// (soft breaks removed, =XX one byte, trailing blanks dropped), or identity.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

namespace mailtee::archive {

class BodyCounter {
 public:
  virtual ~BodyCounter() = default;
  // Bytes of one body line (no line terminator); a line may come in pieces.
  virtual void Content(std::string_view bytes) = 0;
  // A line break inside the body ("\r\n" or "\n", given by its length).
  virtual void Break(size_t terminator_length) = 0;
  virtual uint64_t DecodedSize() const = 0;
};

// By Content-Transfer-Encoding (lowercased): "base64", "quoted-printable", else identity.
std::unique_ptr<BodyCounter> MakeBodyCounter(std::string_view transfer_encoding);

}  // namespace mailtee::archive
