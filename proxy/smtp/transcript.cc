#include "proxy/smtp/transcript.h"

#include <cctype>

#include "archive/log_book.h"

namespace mailtee::smtp {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

}  // namespace

std::string TranscriptText(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  size_t i = 0;
  while (i < line.size() && IsSpace(line[i])) ++i;
  size_t verb_end = i;
  while (verb_end < line.size() && !IsSpace(line[verb_end])) ++verb_end;
  std::string verb(line.substr(i, verb_end - i));
  for (char& c : verb) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (verb != "AUTH") return archive::MaskSecrets(line);
  // AUTH: keep the mechanism name, mask whatever follows it (an initial response).
  size_t mech = verb_end;
  while (mech < line.size() && IsSpace(line[mech])) ++mech;
  size_t mech_end = mech;
  while (mech_end < line.size() && !IsSpace(line[mech_end])) ++mech_end;
  std::string out(line.substr(0, mech_end));
  size_t rest = mech_end;
  while (rest < line.size() && IsSpace(line[rest])) ++rest;
  if (rest < line.size()) out.append(" ").append(kMaskedSecret);
  return out;
}

}  // namespace mailtee::smtp
