// Fuzzes what strangers can send the approval service: mail commands (any
// message to the approval address, and one command line on its own), tokens
// (links and subjects), the identities the rules and separation of duties
// compare (logins, header From addresses, console accounts) and the <approval>
// config section. Nothing may crash or hang; a token that verifies must be one
// this signer issued (re-issuing its claims gives the same bytes).
#include <tinyxml2.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "proxy/approval/approval_config.h"
#include "proxy/approval/identity.h"
#include "proxy/approval/mail_command.h"
#include "proxy/approval/rules.h"
#include "proxy/approval/token.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mailtee::approval;
  const std::string input(reinterpret_cast<const char*>(data), size);

  MailCommand c = ParseMailCommand(input);
  if (c.kind == MailCommand::Kind::kNone && c.error.empty()) abort();
  if ((c.kind == MailCommand::Kind::kApprove || c.kind == MailCommand::Kind::kReject) && c.token.empty()) abort();

  // One command line as a subject carries it (ParseMailCommand reaches it only after a Subject: header).
  MailCommand line = ParseCommandLine(input);
  if (line.kind == MailCommand::Kind::kNone && line.error.empty()) abort();
  if (line.kind == MailCommand::Kind::kSetProxy && line.proxy.empty()) abort();
  if (line.kind == MailCommand::Kind::kHistory && line.days < 1) abort();

  // Identities: the first line against the rest. SamePerson is symmetric and reflexive.
  const size_t nl = input.find('\n');
  const std::string a = input.substr(0, nl), b = nl == std::string::npos ? "" : input.substr(nl + 1);
  if (SamePerson(a, b) != SamePerson(b, a)) abort();
  if (!PersonOf(a).empty() && !SamePerson(a, a)) abort();
  MatchSenderPattern(a, b, true);
  MatchSenderPattern(a, b, false);

  static const TokenSigner signer(std::string(32, 's'));
  TokenClaims claims;
  if (signer.Verify(input, std::chrono::system_clock::time_point(), &claims).ok()) {
    if (signer.Issue(claims) != input) abort();  // no second spelling of a valid token
  }

  tinyxml2::XMLDocument doc;
  if (doc.Parse(input.data(), input.size()) == tinyxml2::XML_SUCCESS && doc.RootElement() &&
      std::string(doc.RootElement()->Name()) == "approval") {
    ApprovalConfig config;
    std::vector<mailtee::config::Problem> problems;
    ParseApprovalConfig(doc.RootElement(), "/nonexistent-mailtee-fuzz", &config, &problems);
    MessageFacts facts;
    facts.sender = "a@b.example";
    facts.recipients = {"c@d.example"};
    facts.subject = input.substr(0, 64);
    HoldDecision d = Evaluate(config, facts);
    if (d.hold && (d.rule_index < 0 || d.rule_index >= static_cast<int>(config.rules.size()))) abort();
    // A bare login, plus header From addresses: adding a From can only make it stricter.
    facts.sender = "taro";
    const bool login_held = Evaluate(config, facts).hold;
    facts.header_from = {"a@b.example", "taro@company.example"};
    HoldDecision with_from = Evaluate(config, facts);
    if (login_held && !with_from.hold) abort();
    if (with_from.hold && (with_from.rule_index < 0 || with_from.rule_index >= static_cast<int>(config.rules.size()))) abort();
  }
  return 0;
}
