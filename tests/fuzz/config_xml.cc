// Fuzzes the XML config loader with arbitrary text: it must never crash, hang
// or read without bound, and what it returns must be consistent: every problem
// names the source and has a message, and a config without errors holds only
// listeners that can actually be started.
// Seeds worth giving it: config/example.xml and config/default.xml.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "config/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mailtee::config;
  const std::string xml(reinterpret_cast<const char*>(data), size);
  // Relative paths in the input resolve into a folder that does not exist, so
  // the fuzzer only reaches real files through absolute paths (bounded reads).
  LoadResult r = LoadString(xml, "fuzz.xml", "/nonexistent-mailtee-fuzz");
  for (const Problem& p : r.problems) {
    if (p.file != "fuzz.xml" || p.message.empty() || p.line < 0) abort();
    if (p.ToString().find(p.message) == std::string::npos) abort();
  }
  if (r.config.source != "fuzz.xml") abort();
  if (!r.ok()) return 0;
  if (r.config.listeners.empty()) abort();
  for (const Listener& l : r.config.listeners) {
    if (l.name.empty() || !l.upstream || l.upstream->port == 0 || l.upstream->host.empty()) abort();
    if (l.auth.mode == AuthMode::kAccount && (l.allow.empty() || l.auth.user.empty())) abort();
    for (const Network& n : l.allow) {
      if (n.prefix_length < 0 || n.prefix_length > (n.family == 2 /*AF_INET*/ ? 32 : 128)) abort();
    }
    ToString(l.protocol);
    ToString(l.tls);
  }
  return 0;
}
