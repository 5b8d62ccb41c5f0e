#include "proxy/smtp/capabilities.h"

#include <algorithm>
#include <cctype>

namespace mailtee::smtp {

const char* const kRelayableMechanisms[3] = {"PLAIN", "LOGIN", "CRAM-MD5"};

namespace {

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Splits "SIZE 35882577" into keyword "SIZE" and the rest; "AUTH=PLAIN LOGIN"
// (pre-standard form) counts as AUTH.
// (Split by hand: an istringstream per line cost more than the rest of the
// per-connection setup, and every relayed session parses an EHLO reply.)
void SplitKeyword(const std::string& line, std::string* keyword, std::vector<std::string>* args) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    size_t start = i;
    while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i > start) words.emplace_back(line, start, i - start);
  }
  std::string upper = words.empty() ? std::string() : Upper(words[0]);
  if (upper.rfind("AUTH=", 0) == 0) {
    args->push_back(upper.substr(5));
    upper = "AUTH";
  }
  *keyword = upper;
  for (size_t w = 1; w < words.size(); ++w) args->push_back(std::move(words[w]));
}

}  // namespace

bool ProviderCapabilities::OffersAuth(const std::string& mechanism) const {
  return std::find(auth_mechanisms.begin(), auth_mechanisms.end(), mechanism) != auth_mechanisms.end();
}

ProviderCapabilities ParseEhloReply(const Reply& ehlo) {
  ProviderCapabilities caps;
  for (size_t i = 1; i < ehlo.lines.size(); ++i) {
    std::string keyword;
    std::vector<std::string> args;
    SplitKeyword(ehlo.lines[i], &keyword, &args);
    if (keyword == "PIPELINING") caps.pipelining = true;
    else if (keyword == "SIZE") {
      caps.size = true;
      if (!args.empty() && !args[0].empty() && args[0].size() <= 19 &&
          std::all_of(args[0].begin(), args[0].end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
        caps.size_limit = std::stoull(args[0]);
    } else if (keyword == "8BITMIME") caps.eight_bit_mime = true;
    else if (keyword == "SMTPUTF8") caps.smtputf8 = true;
    else if (keyword == "ENHANCEDSTATUSCODES") caps.enhanced_status_codes = true;
    else if (keyword == "CHUNKING") caps.chunking = true;
    else if (keyword == "DSN") caps.dsn = true;
    else if (keyword == "STARTTLS") caps.starttls = true;
    else if (keyword == "AUTH") {
      for (const auto& a : args) {
        std::string m = Upper(a);
        if (!caps.OffersAuth(m)) caps.auth_mechanisms.push_back(m);
      }
    }
  }
  return caps;
}

Reply FilterEhloReply(const Reply& provider_ehlo, const ClientOffer& offer) {
  ProviderCapabilities caps = ParseEhloReply(provider_ehlo);
  Reply out;
  out.code = 250;
  out.lines.push_back(provider_ehlo.lines.empty() ? std::string("mailtee") : provider_ehlo.lines[0]);
  if (caps.pipelining) out.lines.push_back("PIPELINING");
  uint64_t size_limit = caps.size_limit;
  if (offer.max_message_bytes && (size_limit == 0 || offer.max_message_bytes < size_limit))
    size_limit = offer.max_message_bytes;
  if (caps.size || offer.max_message_bytes)
    out.lines.push_back(size_limit ? "SIZE " + std::to_string(size_limit) : "SIZE");
  if (caps.eight_bit_mime) out.lines.push_back("8BITMIME");
  if (caps.smtputf8) out.lines.push_back("SMTPUTF8");
  if (caps.enhanced_status_codes) out.lines.push_back("ENHANCEDSTATUSCODES");
  if (caps.chunking && offer.allow_chunking) out.lines.push_back("CHUNKING");
  if (caps.dsn) out.lines.push_back("DSN");
  if (offer.offer_starttls) out.lines.push_back("STARTTLS");
  if (offer.offer_auth) {
    std::string mechs;
    for (const char* m : kRelayableMechanisms) {
      if (caps.OffersAuth(m)) mechs += std::string(" ") + m;
    }
    if (!mechs.empty()) out.lines.push_back("AUTH" + mechs);
  }
  return out;
}

}  // namespace mailtee::smtp
