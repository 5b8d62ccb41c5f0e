#include "proxy/approval/hold_reason.h"

namespace mailtee::approval {
namespace {

std::string RuleName(const HoldReason& why, bool ja) {
  if (!why.rule_name.empty()) return ja ? "ルール「" + why.rule_name + "」" : "rule \"" + why.rule_name + "\"";
  return ja ? "差出人 " + why.rule_sender + " のルール" : "rule for sender " + why.rule_sender;
}

std::string Condition(const HoldReason& why, bool ja) {
  const std::string& k = why.kind;
  if (k == "always") return ja ? "この差出人のメールは常に承認が必要" : "every message from this sender needs approval";
  if (k == "attachment") {
    const std::string n = std::to_string(why.attachment_count);
    return ja ? "添付ファイル " + n + " 件" : n + (why.attachment_count == 1 ? " attachment" : " attachments");
  }
  if (k == "keyword-subject") return ja ? "件名にキーワード「" + why.keyword + "」" : "keyword \"" + why.keyword + "\" in the subject";
  if (k == "keyword-body") return ja ? "本文にキーワード「" + why.keyword + "」" : "keyword \"" + why.keyword + "\" in the body";
  if (k == "recipient-domain") {
    return ja ? "宛先 " + why.recipient + " (" + why.domain + " 宛て)"
              : "recipient " + why.recipient + " is in " + why.domain;
  }
  if (k == "external") return ja ? "社外の宛先 " + why.recipient : "recipient " + why.recipient + " is outside the office";
  return k;  // a kind written by a newer version: show it rather than nothing
}

}  // namespace

std::string RenderHoldReason(const HoldReason& why, ReasonLanguage language, const std::string& legacy_rule,
                             const std::string& legacy_reason) {
  if (why.empty()) {
    if (legacy_reason.empty()) return legacy_rule;
    return legacy_rule.empty() ? legacy_reason : legacy_rule + " — " + legacy_reason;
  }
  const bool ja = language == ReasonLanguage::kJapanese;
  std::string out = RuleName(why, ja) + ": " + Condition(why, ja);
  if (!why.header_from.empty()) out += ja ? "(ヘッダー From: " + why.header_from + ")" : " (header From " + why.header_from + ")";
  return out;
}

}  // namespace mailtee::approval
