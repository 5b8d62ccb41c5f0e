// MaskSecrets (declared in log_book.h): credentials never reach a log file,
// even through the opt-in protocol transcripts.
#include <algorithm>
#include <cctype>
#include <vector>

#include "archive/log_book.h"

namespace mailtee::archive {
namespace {

constexpr std::string_view kMask = "****";

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// "C: ", "S: ", "> ", "< ", "c> ": a short marker without spaces ending in ':', '>' or '<'.
size_t DirectionMarkerLength(std::string_view line) {
  size_t space = line.find(' ');
  if (space == std::string_view::npos || space == 0 || space > 8) return 0;
  char last = line[space - 1];
  if (last != ':' && last != '>' && last != '<') return 0;
  return space + 1;
}

bool IsBase64Char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=';
}

// A client's SASL continuation is one bare base64 token. Protocol words that
// happen to be base64 characters too are left alone; anything else of that
// shape is treated as a secret (over-masking is the safe failure).
bool IsSaslContinuation(std::string_view token) {
  static const char* const kProtocolWords[] = {"QUIT", "NOOP", "RSET", "DATA", "STLS", "STARTTLS", "CAPA", "STAT",
                                               "LIST", "UIDL", "LAST", "EHLO", "HELO", "HELP", "TURN", "AUTH", "+OK"};
  if (token.size() < 2) return false;
  if (!std::all_of(token.begin(), token.end(), IsBase64Char)) return false;
  std::string upper = Upper(token);
  for (const char* word : kProtocolWords)
    if (upper == word) return false;
  return true;
}

std::vector<std::string_view> SplitSpaces(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    size_t space = s.find(' ');
    out.push_back(s.substr(0, space));
    if (space == std::string_view::npos) break;
    s.remove_prefix(space + 1);
  }
  return out;
}

}  // namespace

std::string MaskSecrets(std::string_view line) {
  size_t end = line.size();
  while (end > 0 && (line[end - 1] == '\r' || line[end - 1] == '\n')) --end;
  std::string_view eol = line.substr(end);
  std::string_view body = line.substr(0, end);
  size_t marker = DirectionMarkerLength(body);
  std::string_view prefix = body.substr(0, marker), rest = body.substr(marker);

  std::vector<std::string_view> words = SplitSpaces(rest);
  if (words.empty()) return std::string(line);
  std::string command = Upper(words[0]);
  size_t keep = 0;  // words kept before the mask
  if (command == "PASS" && words.size() >= 2) keep = 1;
  else if ((command == "APOP" || command == "AUTH") && words.size() >= 3) keep = 2;
  else if (words.size() == 1 && IsSaslContinuation(words[0])) keep = 0;
  else return std::string(line);

  std::string out(prefix);
  for (size_t i = 0; i < keep; ++i) out.append(words[i]).append(" ");
  out.append(kMask).append(eol);
  return out;
}

}  // namespace mailtee::archive
