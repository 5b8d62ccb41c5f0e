#include "proxy/approval/mail_command.h"

#include <time.h>

#include <cctype>
#include <vector>

#include "archive/message_summary.h"
#include "proxy/approval/address_pattern.h"

namespace mailtee::approval {
namespace {

constexpr size_t kMaxBodyLines = 200;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  // Full-width space (U+3000) as typed by Japanese input methods.
  while (s.size() >= 3 && s.substr(0, 3) == "\xE3\x80\x80") s.remove_prefix(3);
  while (s.size() >= 3 && s.substr(s.size() - 3) == "\xE3\x80\x80") s.remove_suffix(3);
  return s;
}

std::vector<std::string> Words(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  for (size_t i = 0; i <= s.size(); ++i) {
    const bool ideographic_space = i + 3 <= s.size() && s.substr(i, 3) == "\xE3\x80\x80";
    if (i == s.size() || std::isspace(static_cast<unsigned char>(s[i])) || ideographic_space) {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
      if (ideographic_space) i += 2;
    } else {
      cur += s[i];
    }
  }
  return out;
}

// Drops "Re:", "RE:", "Fwd:", "返信:", "[tag]" prefixes, repeatedly.
std::string_view StripReplyPrefixes(std::string_view s) {
  for (bool again = true; again;) {
    again = false;
    s = Trim(s);
    for (std::string_view p : {"re:", "fw:", "fwd:", "aw:", "返信:", "転送:", "re：", "返信："}) {
      if (s.size() >= p.size() && Lower(s.substr(0, p.size())) == p) {
        s.remove_prefix(p.size());
        again = true;
      }
    }
  }
  return s;
}

bool IsCommandWord(const std::string& w) {
  static const char* kWords[] = {"approve", "reject", "withdraw", "waitlist", "setproxy", "history",
                                 "承認", "差戻", "差戻し", "却下", "取下げ", "取り下げ", "承認待ち", "履歴"};
  const std::string l = Lower(w);
  for (const char* k : kWords) {
    if (l == k) return true;
  }
  return false;
}

bool ValidToken(const std::string& t) {
  if (t.empty() || t.size() > 2048) return false;
  for (char c : t) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

// The header's Subject (decoded) and the body, from a raw message.
void SplitMessage(std::string_view message, std::string* subject, std::string_view* body) {
  size_t end = message.find("\r\n\r\n");
  size_t skip = 4;
  if (end == std::string_view::npos) {
    end = message.find("\n\n");
    skip = 2;
  }
  const std::string_view header = end == std::string_view::npos ? message : message.substr(0, end);
  *body = end == std::string_view::npos ? std::string_view() : message.substr(end + skip);
  size_t pos = 0;
  while (pos < header.size()) {
    size_t nl = header.find('\n', pos);
    if (nl == std::string_view::npos) nl = header.size();
    std::string_view line = header.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.size() >= 8 && Lower(line.substr(0, 8)) == "subject:") {
      std::string raw(line.substr(8));
      // Folded continuation lines belong to the field.
      while (pos < header.size() && (header[pos] == ' ' || header[pos] == '\t')) {
        size_t next = header.find('\n', pos);
        if (next == std::string_view::npos) next = header.size();
        raw += std::string(header.substr(pos, next - pos));
        pos = next + 1;
      }
      for (char& c : raw) {
        if (c == '\r' || c == '\n') c = ' ';
      }
      *subject = archive::DecodeHeaderValue(raw);
      return;
    }
  }
}

}  // namespace

const char* ToString(MailCommand::Kind kind) {
  switch (kind) {
    case MailCommand::Kind::kNone: return "none";
    case MailCommand::Kind::kApprove: return "approve";
    case MailCommand::Kind::kReject: return "reject";
    case MailCommand::Kind::kWithdraw: return "withdraw";
    case MailCommand::Kind::kWaitlist: return "waitlist";
    case MailCommand::Kind::kSetProxy: return "setproxy";
    case MailCommand::Kind::kClearProxy: return "setproxy (clear)";
    case MailCommand::Kind::kHistory: return "history";
  }
  return "?";
}

bool EndOfLocalDay(const std::string& date, int64_t* unix_seconds) {
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!std::isdigit(static_cast<unsigned char>(date[i]))) return false;
  }
  struct tm tm = {};
  tm.tm_year = std::stoi(date.substr(0, 4)) - 1900;
  tm.tm_mon = std::stoi(date.substr(5, 2)) - 1;
  tm.tm_mday = std::stoi(date.substr(8, 2)) + 1;  // midnight after that day
  tm.tm_isdst = -1;
  if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 2 || tm.tm_mday > 32) return false;
  const time_t t = mktime(&tm);
  if (t == static_cast<time_t>(-1)) return false;
  *unix_seconds = static_cast<int64_t>(t);
  return true;
}

MailCommand ParseCommandLine(std::string_view line) {
  MailCommand c;
  const std::vector<std::string> w = Words(StripReplyPrefixes(line));
  if (w.empty()) {
    c.error = "empty command";
    return c;
  }
  const std::string verb = Lower(w[0]);
  if (verb == "approve" || verb == "承認") {
    if (w.size() < 2 || !ValidToken(w[1])) {
      c.error = "approve needs a token: approve <token>";
      return c;
    }
    c.kind = MailCommand::Kind::kApprove;
    c.token = w[1];
  } else if (verb == "reject" || verb == "差戻" || verb == "差戻し" || verb == "却下") {
    if (w.size() < 2 || !ValidToken(w[1])) {
      c.error = "reject needs a token: reject <token> [reason]";
      return c;
    }
    c.kind = MailCommand::Kind::kReject;
    c.token = w[1];
    for (size_t i = 2; i < w.size(); ++i) c.reason += (i > 2 ? " " : "") + w[i];
  } else if (verb == "withdraw" || verb == "取下げ" || verb == "取り下げ") {
    if (w.size() != 2 || !ValidToken(w[1])) {
      c.error = "withdraw needs the held id: withdraw <id>";
      return c;
    }
    c.kind = MailCommand::Kind::kWithdraw;
    c.held_id = w[1];
  } else if (verb == "waitlist" || verb == "承認待ち") {
    c.kind = MailCommand::Kind::kWaitlist;
  } else if (verb == "setproxy") {
    if (w.size() == 1) {
      c.kind = MailCommand::Kind::kClearProxy;
      return c;
    }
    if (!IsPlainAddress(w[1]) || (w.size() != 2 && w.size() != 4) || (w.size() == 4 && Lower(w[2]) != "until")) {
      c.error = "usage: setproxy <address> [until YYYY-MM-DD], or setproxy alone to clear";
      return c;
    }
    int64_t until;
    if (w.size() == 4 && !EndOfLocalDay(w[3], &until)) {
      c.error = "'" + w[3] + "' is not a date (YYYY-MM-DD)";
      return c;
    }
    c.kind = MailCommand::Kind::kSetProxy;
    c.proxy = NormalizeAddress(w[1]);
    if (w.size() == 4) c.until_date = w[3];
  } else if (verb == "history" || verb == "履歴") {
    c.kind = MailCommand::Kind::kHistory;
    if (w.size() >= 2) {
      const std::string& d = w[1];
      if (d.empty() || d.size() > 4 || d.find_first_not_of("0123456789") != std::string::npos || std::stoi(d) < 1) {
        c.kind = MailCommand::Kind::kNone;
        c.error = "history takes a number of days (1-9999)";
        return c;
      }
      c.days = std::stoi(d);
    }
  } else {
    c.error = "unknown command '" + w[0] + "'";
  }
  return c;
}

MailCommand ParseMailCommand(std::string_view message) {
  std::string subject;
  std::string_view body;
  SplitMessage(message, &subject, &body);
  const std::vector<std::string> sw = Words(StripReplyPrefixes(subject));
  if (!sw.empty() && IsCommandWord(sw[0])) return ParseCommandLine(subject);

  // Body: join quoted-printable soft breaks ("...=\r\n"), then the first command line.
  std::string joined;
  size_t lines = 0, pos = 0;
  while (pos < body.size() && lines < kMaxBodyLines) {
    size_t nl = body.find('\n', pos);
    if (nl == std::string_view::npos) nl = body.size();
    std::string_view line = body.substr(pos, nl - pos);
    pos = nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty() && line.back() == '=') {
      joined += std::string(line.substr(0, line.size() - 1));
      continue;
    }
    joined += std::string(line);
    ++lines;
    const std::vector<std::string> w = Words(joined);
    if (!w.empty() && IsCommandWord(w[0])) return ParseCommandLine(joined);
    joined.clear();
  }
  MailCommand none;
  none.error = "no command found in the subject or the body";
  return none;
}

}  // namespace mailtee::approval
