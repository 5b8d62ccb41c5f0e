// Why a rule held a message, kept as data with the held message and put into
// words only when someone reads it: in the reader's language (Japanese or
// English), naming the rule by its name="..." (or its sender pattern) rather
// than a config line number that moves when the file is edited.
//
// Held records written before reasons were structured carry only English
// text (HeldMessage::rule and ::reason); RenderHoldReason shows that text.
#pragma once

#include <string>

namespace mailtee::approval {

enum class ReasonLanguage { kJapanese, kEnglish };

struct HoldReason {
  // "always" | "attachment" | "keyword-subject" | "keyword-body" |
  // "recipient-domain" | "external"; "" = no structured reason (old record).
  std::string kind;
  std::string rule_name;      // <rule name="...">; "" when the rule has none
  std::string rule_sender;    // the rule's sender pattern: names a rule without a name
  std::string keyword;        // keyword-*: the keyword that was found
  std::string recipient;      // recipient-domain, external: the recipient that matched
  std::string domain;         // recipient-domain: the configured domain it is in
  int attachment_count = 0;   // attachment
  std::string header_from;    // a header From decided (sessions without a login), else ""

  bool empty() const { return kind.empty(); }
};

// One line, e.g. (ja) `ルール「見積は部長」: 件名にキーワード「見積」`,
// (en) `rule "quotes to bucho": keyword "見積" in the subject`. An empty `why`
// falls back to the old English text: legacy_rule + " — " + legacy_reason.
std::string RenderHoldReason(const HoldReason& why, ReasonLanguage language, const std::string& legacy_rule,
                             const std::string& legacy_reason);

}  // namespace mailtee::approval
