// Fuzzes the SMTP command path: LineReader (any chunking) -> ParseCommand ->
// ToWire, and checks that a parsed command re-serialises to a line that parses
// to the same thing (what we relay is what we understood).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "proxy/smtp/command.h"
#include "proxy/smtp/line_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t step = 1 + data[0] % 17;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  mailtee::smtp::LineReader reader(256);
  while (!input.empty()) {
    std::string_view chunk = input.substr(0, step);
    input.remove_prefix(chunk.size());
    while (!chunk.empty()) {
      mailtee::smtp::LineReader::Event ev;
      size_t used = reader.Feed(chunk, &ev);
      if (used == 0 || used > chunk.size()) abort();
      chunk.remove_prefix(used);
      if (ev.kind != mailtee::smtp::LineReader::Kind::kLine) continue;
      if (ev.line.size() > 256) abort();
      auto parsed = mailtee::smtp::ParseCommand(ev.line);
      if (!parsed.ok) {
        if (parsed.error.size() < 4) abort();
        continue;
      }
      std::string wire = parsed.command.ToWire();
      if (wire.size() < 2 || wire.substr(wire.size() - 2) != "\r\n") abort();
      if (wire.find('\n') != wire.size() - 1) abort();  // exactly one line goes upstream
      auto again = mailtee::smtp::ParseCommand(std::string_view(wire).substr(0, wire.size() - 2));
      if (!again.ok || again.command.ToWire() != wire) abort();
    }
  }
  return 0;
}
