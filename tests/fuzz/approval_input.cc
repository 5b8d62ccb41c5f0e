// Fuzzes what strangers can send the approval service: mail commands (any
// message to the approval address), tokens (links and subjects) and the
// <approval> config section. Nothing may crash or hang; a token that verifies
// must be one this signer issued (re-issuing its claims gives the same bytes).
#include <tinyxml2.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "proxy/approval/approval_config.h"
#include "proxy/approval/mail_command.h"
#include "proxy/approval/rules.h"
#include "proxy/approval/token.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mailtee::approval;
  const std::string input(reinterpret_cast<const char*>(data), size);

  MailCommand c = ParseMailCommand(input);
  if (c.kind == MailCommand::Kind::kNone && c.error.empty()) abort();
  if ((c.kind == MailCommand::Kind::kApprove || c.kind == MailCommand::Kind::kReject) && c.token.empty()) abort();

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
  }
  return 0;
}
