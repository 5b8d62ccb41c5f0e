// Commands mailed to the approval address (never relayed). The command is the
// Subject (reply prefixes like "Re:" / "RE:" / "返信:" dropped), or else the
// first body line that starts with a command word — so a mailto: link
// (subject=approve%20<token>) and a typed reply both work. Quoted-printable
// soft line breaks are joined first (a long token may be wrapped).
//
//   approve <token>                  承認 <token>
//   reject <token> [reason]          差戻 <token> [理由] / 却下
//   withdraw <held-id>               取下げ <held-id>   (the sender)
//   waitlist                         承認待ち
//   setproxy <address> [until YYYY-MM-DD]   / setproxy  (clears the proxy)
//   history [days]                   履歴 [日数]
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mailtee::approval {

struct MailCommand {
  enum class Kind { kNone, kApprove, kReject, kWithdraw, kWaitlist, kSetProxy, kClearProxy, kHistory };
  Kind kind = Kind::kNone;
  std::string token;       // approve / reject
  std::string reason;      // reject
  std::string held_id;     // withdraw
  std::string proxy;       // setproxy
  std::string until_date;  // setproxy: "YYYY-MM-DD" or ""
  int days = 7;            // history
  std::string error;       // kNone: why nothing was understood (for the reply)
};

const char* ToString(MailCommand::Kind kind);

// message: the whole message as received (bounded by the caller, e.g. 256 KiB).
MailCommand ParseMailCommand(std::string_view message);

// One command line ("approve abc.def").
MailCommand ParseCommandLine(std::string_view line);

// "2026-12-31" -> unix seconds at the end of that local day; false when invalid.
bool EndOfLocalDay(const std::string& yyyy_mm_dd, int64_t* unix_seconds);

}  // namespace mailtee::approval
