// Fuzzes the client side of the POP3 proxy: the bounded line reader feeding the
// command parser and the SASL login reader, with the input split at a
// fuzzer-chosen point (state must survive between reads).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proxy/pop3/command.h"
#include "proxy/pop3/line_reader.h"
#include "proxy/pop3/sasl_login.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mailtee::pop3;
  if (size == 0) return 0;
  size_t split = data[0] % (size);
  std::string_view all(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string_view parts[2] = {all.substr(0, split), all.substr(split < all.size() ? split : all.size())};
  LineReader reader;
  SaslLogin sasl;
  bool in_sasl = false;
  for (std::string_view part : parts) {
    while (!part.empty()) {
      size_t used = 0;
      LineReader::Result r = reader.Next(part, in_sasl ? kMaxSaslLine : kMaxCommandLine, &used);
      if (used == 0 || used > part.size()) __builtin_trap();
      part.remove_prefix(used);
      if (r != LineReader::Result::kLine) continue;
      if (reader.line().size() > kMaxSaslLine) __builtin_trap();
      if (in_sasl) {
        sasl.OnClientLine(reader.line());
        if (!sasl.login().empty() && !IsUsableLogin(sasl.login())) __builtin_trap();
        in_sasl = false;
        continue;
      }
      Command cmd;
      bool ok = ParseCommand(reader.line(), &cmd).ok();
      if (ok && cmd.has_number && cmd.number == 0) __builtin_trap();
      if (ok && cmd.verb == Verb::kAuth) {
        if (cmd.digest.empty()) {
          sasl.Start(cmd.name, std::nullopt);
          in_sasl = true;
        } else {
          sasl.Start(cmd.name, std::string_view(cmd.digest));
        }
      }
    }
  }
  return 0;
}
